package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backup copies a SQLite database that a new server can use; the copy is
// owner-only and holds the data.
func TestBackup(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	dest := filepath.Join(t.TempDir(), "copy.db")
	r := mustRun(t, "", "backup", "--db", path, dest)
	if !strings.Contains(r.stdout, "backed up "+path+" to "+dest) {
		t.Errorf("stdout %q", r.stdout)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy: %v; want a 0600 file", err)
	}
	// The organisation is in the copy: creating it there again is refused.
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", dest, "--name", "acme"), 1, "acme")

	// FILE before the flags works too, and an existing copy is replaced.
	mustRun(t, "", "backup", dest, "--db", path)
}

func TestBackupRefusals(t *testing.T) {
	t.Parallel()
	dest := filepath.Join(t.TempDir(), "copy.db")
	wantFail(t, runCLI(t, nil, "", "backup", "--db", dbPath(t)), 1, "FILE is required: give it as an argument")
	wantFail(t, runCLI(t, nil, "", "backup", "--db", "postgres://nobody@127.0.0.1:1/none", dest), 1, "pg_dump")
	missing := dbPath(t)
	wantFail(t, runCLI(t, nil, "", "backup", "--db", missing, dest), 1, missing)
	for _, p := range []string{missing, dest} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a refused backup made %s", p)
		}
	}
}
