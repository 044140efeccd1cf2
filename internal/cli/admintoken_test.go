package cli

import (
	"regexp"
	"strings"
	"testing"

	"carebridge/internal/auth"
	"carebridge/internal/sqlite"
)

func TestAdminTokenCreate(t *testing.T) {
	t.Parallel()
	db := dbPath(t)
	r := mustRun(t, "", "admin-token", "create", "--name", "care-desk", "--db", db)
	m := regexp.MustCompile(`admin token "care-desk": ([0-9a-f]{64})\n`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stdout, "not shown again") {
		t.Fatalf("stdout %q: want the token once and the warning", r.stdout)
	}
	// The printed token is the one stored (as a hash), under its name.
	name, err := sqlite.NewTenancyStore(openDB(t, db)).AdminTokenName(t.Context(), auth.HashToken(m[1]))
	if err != nil || name != "care-desk" {
		t.Fatalf("AdminTokenName = %q, %v", name, err)
	}
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--name", "care-desk", "--db", db), 1, "already exists")
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--db", db), 1, "--name")
}
