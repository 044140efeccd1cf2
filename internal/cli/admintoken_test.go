package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/sqlite"
)

func TestAdminTokenCreate(t *testing.T) {
	t.Parallel()
	db := dbPath(t)
	r := mustRun(t, "", "admin-token", "create", "--name", "care-desk", "--role", "ops", "--expires", "720h", "--db", db)
	m := regexp.MustCompile(`admin token "care-desk" \(ops, expires ([0-9TZ:-]+)\): ([0-9a-f]{64})\n`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stdout, "not shown again") {
		t.Fatalf("stdout %q: want the token once and the warning", r.stdout)
	}
	// The printed token is the one stored (as a hash), under its name,
	// with its role and lifetime.
	tok, err := sqlite.NewTenancyStore(openDB(t, db)).AdminToken(t.Context(), auth.HashToken(m[2]))
	if err != nil || tok.Name != "care-desk" || tok.Role != carebridge.RoleOps || tok.ExpiresAt.Sub(tok.CreatedAt) != 720*time.Hour {
		t.Fatalf("AdminToken = %+v, %v", tok, err)
	}
	if m[1] != tok.ExpiresAt.Format(time.RFC3339) {
		t.Errorf("printed expiry %s; stored %s", m[1], tok.ExpiresAt)
	}
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--name", "care-desk", "--role", "admin", "--db", db), 1, "already exists")
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--role", "admin", "--db", db), 1, "--name")
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--name", "x", "--db", db), 1, "--role must be one of ops, admin")
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--name", "x", "--role", "care", "--db", db), 1, "--role must be one of ops, admin")
	wantFail(t, runCLI(t, nil, "", "admin-token", "create", "--name", "x", "--role", "ops", "--expires", "-1h", "--db", db), 1, "--expires")
}

// list shows every token without its secret; revoke removes one, and only
// an existing one.
func TestAdminTokenListRevoke(t *testing.T) {
	t.Parallel()
	db := dbPath(t)
	secret := regexp.MustCompile(`[0-9a-f]{64}`)
	created := secret.FindString(mustRun(t, "", "admin-token", "create", "--name", "desk", "--role", "admin", "--db", db).stdout)
	mustRun(t, "", "admin-token", "create", "--name", "robot", "--role", "ops", "--expires", "1h", "--db", db)
	out := mustRun(t, "", "admin-token", "list", "--db", db).stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		!regexp.MustCompile(`^desk +admin +\S+ +never +never$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^robot +ops +\S+ +\S+Z +never$`).MatchString(lines[2]) {
		t.Fatalf("list:\n%s", out)
	}
	if secret.MatchString(out) || strings.Contains(out, created) {
		t.Fatalf("list shows a secret:\n%s", out)
	}
	mustRun(t, "", "admin-token", "revoke", "--name", "desk", "--db", db)
	if _, err := sqlite.NewTenancyStore(openDB(t, db)).AdminToken(t.Context(), auth.HashToken(created)); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("revoked token still found: %v", err)
	}
	if out := mustRun(t, "", "admin-token", "list", "--db", db).stdout; strings.Contains(out, "desk") {
		t.Fatalf("revoked token listed:\n%s", out)
	}
	wantFail(t, runCLI(t, nil, "", "admin-token", "revoke", "--name", "desk", "--db", db), 1, `No admin token is named "desk"`)
	wantFail(t, runCLI(t, nil, "", "admin-token", "revoke", "--db", db), 1, "--name")
}
