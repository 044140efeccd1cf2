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
