package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// An import read from a pipe (a FIFO here, /dev/stdin in a shell) works:
// the command reads its file more than once, so it copies a pipe first.
func TestOCPImportFromAPipe(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "customers.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("id,nsid,name\n7001,1,Pipe Co\n7002,2,Tube Ltd\n")
		f.Close()
	}()
	db := dbPath(t)
	r := runCLI(t, nil, "", "ocp", "customer", "import", fifo, "--db", db)
	if r.code != 0 || !strings.Contains(r.stdout, "2 imported, 0 rejected") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}
