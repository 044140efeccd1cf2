package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// wantOwnerOnly checks that the database and its -wal and -shm files exist
// and are 0600: the -wal and -shm hold recent pages of password and token
// hashes as much as the database does.
func wantOwnerOnly(t *testing.T, path string) {
	t.Helper()
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s mode %o; want 600", filepath.Base(f), mode)
		}
	}
}

// A new database, after opening and writing, is owner-only in all three
// of its files, whatever the umask lets through.
func TestNewFilesAreOwnerOnly(t *testing.T) {
	// Not parallel: the umask is the process's.
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cb.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil { // writes
		t.Fatal(err)
	}
	wantOwnerOnly(t, path)
}

// A database whose files were left readable by others (by an older
// carebridge, or by hand) is restricted when it is opened.
func TestExistingFilesAreRestricted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cb.db")
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close() // keeps the -wal and -shm in place
	if err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	second, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	wantOwnerOnly(t, path)
}
