package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/testserver"
)

// user api-key create prints a key once that logs its user in; list shows
// labels, never keys; revoke refuses the key and ends its sessions.
func TestUserAPIKeys(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "tv")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "radio")
	mustRun(t, "api-password\n", "user", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "billing")
	mustRun(t, "care-password\n", "user", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "maria", "--role", "care")
	flags := []string{"--db", path, "--org", "acme", "--operator", "tv", "--username", "billing"}
	create := append([]string{"user", "api-key", "create"}, flags...)

	keyLine := regexp.MustCompile(`^web API key "([^"]+)" of user "billing" of "acme": ([0-9a-f]{64})\nIt is not shown again: store it now\.\n$`)
	r := mustRun(t, "", append(create, "--name", "erp")...)
	m := keyLine.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != "erp" {
		t.Fatalf("stdout %q", r.stdout)
	}
	key := m[2]
	r = mustRun(t, "", create...)
	gen := keyLine.FindStringSubmatch(r.stdout)
	if gen == nil || !regexp.MustCompile(`^key-[0-9a-f]{8}$`).MatchString(gen[1]) || gen[2] == key {
		t.Fatalf("made-up label: stdout %q", r.stdout)
	}
	wantFail(t, runCLI(t, nil, "", append(create, "--name", "erp")...), 1, `labelled "erp" already`)
	wantFail(t, runCLI(t, nil, "", "user", "api-key", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "maria"),
		1, `user "maria" of "acme" is care: only api users log in with a web API key`)
	wantFail(t, runCLI(t, nil, "", "user", "api-key", "create", "--db", path, "--org", "acme", "--operator", "radio", "--username", "billing"),
		1, `user "billing" of "acme" is not a user of operator "radio"`)
	wantFail(t, runCLI(t, nil, "", append(create, "--name", " x")...), 1, "--name must not begin or end with a space")

	stores := testserver.OpenStores(t, path)
	svc := auth.NewService(stores.Tenancy, time.Now, time.Hour)
	tok, err := svc.LoginWithKey(t.Context(), key, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}

	list := mustRun(t, "", append([]string{"user", "api-key", "list"}, flags...)...).stdout
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "erp ") ||
		strings.HasSuffix(lines[1], "never") || !strings.HasSuffix(lines[2], "never") || strings.Contains(list, key) {
		t.Fatalf("list:\n%s", list)
	}

	r = mustRun(t, "", append([]string{"user", "api-key", "revoke", "--name", "erp"}, flags...)...)
	if !strings.HasPrefix(r.stdout, `web API key "erp" of user "billing" of "acme" revoked`) {
		t.Fatalf("stdout %q", r.stdout)
	}
	if _, err := svc.Authenticate(t.Context(), tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("session after revoke: %v", err)
	}
	if _, err := svc.LoginWithKey(t.Context(), key, "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Errorf("login after revoke: %v", err)
	}
	wantFail(t, runCLI(t, nil, "", append([]string{"user", "api-key", "revoke", "--name", "erp"}, flags...)...), 1, `no web API key labelled "erp"`)
	wantFail(t, runCLI(t, nil, "", append([]string{"user", "api-key", "revoke"}, flags...)...), 1, "--name")
}
