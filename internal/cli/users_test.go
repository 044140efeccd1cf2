package cli

import (
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/testserver"
)

// user create --role, user role and user disable: what they store, and
// what they refuse.
func TestUserRoles(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "tv")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "radio")
	mustRun(t, "care-password\n", "user", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "maria", "--role", "care")
	mustRun(t, "api-password\n", "user", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "billing")
	wantFail(t, runCLI(t, nil, "x-password\n", "user", "create", "--db", path, "--org", "acme", "--operator", "tv", "--username", "x", "--role", "admin"),
		1, "--role must be one of api, care, supervisor")

	stores := testserver.OpenStores(t, path)
	org, err := stores.Tenancy.OrganisationByName(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	role := func(name string) carebridge.Role {
		t.Helper()
		u, err := stores.Tenancy.UserByName(t.Context(), org.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		return u.Role
	}
	if role("maria") != carebridge.RoleCare || role("billing") != carebridge.RoleAPI {
		t.Fatalf("roles %s, %s; want care, api", role("maria"), role("billing"))
	}

	flags := []string{"--db", path, "--org", "acme", "--operator", "tv", "--username", "maria"}
	r := mustRun(t, "", append([]string{"user", "role", "--role", "supervisor"}, flags...)...)
	if role("maria") != carebridge.RoleSupervisor || r.stdout != "user \"maria\" of \"acme\" is now supervisor (was care)\n" {
		t.Fatalf("after user role: %s; stdout %q", role("maria"), r.stdout)
	}
	wantFail(t, runCLI(t, nil, "", append([]string{"user", "role", "--role", "ops"}, flags...)...), 1, "--role must be one of api, care, supervisor")
	wantFail(t, runCLI(t, nil, "", "user", "role", "--db", path, "--org", "acme", "--operator", "radio", "--username", "maria", "--role", "care"),
		1, `user "maria" of "acme" is not a user of operator "radio"`)
	wantFail(t, runCLI(t, nil, "", "user", "role", "--db", path, "--org", "acme", "--operator", "tv", "--username", "nobody", "--role", "care"),
		1, `User "nobody" does not exist`)
	wantFail(t, runCLI(t, nil, "", "user", "role", "--db", path, "--org", "acme", "--operator", "tv", "--role", "care"), 1, "--username")

	// Disabling ends the user's sessions and refuses the next login.
	care := auth.NewService(stores.Tenancy, time.Now, time.Hour).ForAudience(carebridge.AudienceCare, time.Hour)
	tok, err := care.Login(t.Context(), "acme", "maria", "care-password", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, "", append([]string{"user", "disable"}, flags...)...)
	if r.stdout != "user \"maria\" of \"acme\" disabled; their sessions have ended (a server drops a CRM.COM token it trusts within a second)\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if _, err := care.Session(t.Context(), tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("session after disable: %v", err)
	}
	if _, err := care.Login(t.Context(), "acme", "maria", "care-password", "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Errorf("login after disable: %v", err)
	}
	wantFail(t, runCLI(t, nil, "", append([]string{"user", "disable"}, flags...)...), 1, `user "maria" of "acme" is disabled already`)
}
