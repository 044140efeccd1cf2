package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/sqlite"
)

// A backup taken while a writer commits is a sound database holding every
// write acknowledged before the backup began; it is owner-only, and nothing
// of the temporary file is left behind.
func TestBackupUnderWrites(t *testing.T) {
	t.Parallel()
	db := open(t)
	tenancy := sqlite.NewTenancyStore(db)
	ctx := context.Background()

	var mu sync.Mutex
	acked := 0 // organisations org-0 … org-(acked-1) are committed
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := tenancy.CreateOrganisation(ctx, fmt.Sprint("org-", i), time.Now()); err != nil {
				done <- err
				return
			}
			mu.Lock()
			acked = i + 1
			mu.Unlock()
		}
	}()
	// Let the writer get going, then back up in the middle of its writes.
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 50 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := acked
	mu.Unlock()
	dir := t.TempDir()
	dest := filepath.Join(dir, "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}

	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the backup left %d files in its directory, want the copy alone", len(entries))
	}
	raw, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var result string
	err = raw.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result)
	raw.Close()
	if err != nil || result != "ok" {
		t.Fatalf("integrity_check of the copy: %q, %v", result, err)
	}
	// A server started on the copy serves its data.
	copyDB, err := sqlite.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if err := copyDB.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	copied := sqlite.NewTenancyStore(copyDB)
	for i := range before {
		if _, err := copied.OrganisationByName(ctx, fmt.Sprint("org-", i)); err != nil {
			t.Fatalf("org-%d, acknowledged before the backup, is not in the copy: %v", i, err)
		}
	}
}

// A backup that cannot be written leaves nothing behind and says why.
func TestBackupFailure(t *testing.T) {
	t.Parallel()
	db := open(t)
	dest := filepath.Join(t.TempDir(), "missing", "copy.db")
	if err := db.Backup(context.Background(), dest); err == nil {
		t.Fatal("a backup into a missing directory succeeded")
	}
	if _, err := os.Stat(filepath.Dir(dest)); !os.IsNotExist(err) {
		t.Fatalf("the failed backup made %s: %v", filepath.Dir(dest), err)
	}
}

// A backup never replaces the database it copies, nor a file SQLite keeps
// beside it, however the path is spelt; nor does it write into a
// directory named as the copy. Each is refused before anything is
// written, and the database stays sound and whole.
func TestBackupRefusesTheDatabaseItself(t *testing.T) {
	t.Parallel()
	db := open(t)
	ctx := context.Background()
	if _, err := sqlite.NewTenancyStore(db).CreateOrganisation(ctx, "acme", time.Now()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(db.Path)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(db.Path, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(db.Path, hard); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{
		db.Path,
		filepath.Join(dir, ".", filepath.Base(db.Path)),
		link,
		hard,
		db.Path + "-wal",
		db.Path + "-shm",
		db.Path + "-journal",
		dir,
	} {
		before, _ := os.ReadDir(dir)
		err := db.Backup(ctx, dest)
		if carebridge.ErrorCode(err) != carebridge.EINVALID {
			t.Errorf("backup to %s: %v, want it refused as invalid", dest, err)
		}
		if after, _ := os.ReadDir(dir); len(after) != len(before) {
			t.Errorf("the refused backup to %s changed the directory: %d files, then %d", dest, len(before), len(after))
		}
	}
	if _, err := sqlite.NewTenancyStore(db).OrganisationByName(ctx, "acme"); err != nil {
		t.Fatalf("after the refused backups: %v", err)
	}
}

// A file that is not a carebridge database (an empty one, or one never
// migrated) is not backed up as if it were.
func TestBackupRefusesAnotherDatabase(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dest := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), dest); carebridge.ErrorCode(err) != carebridge.EINVALID {
		t.Fatalf("backup of an empty database: %v, want EINVALID", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("the refused backup wrote %s: %v", dest, err)
	}
}
