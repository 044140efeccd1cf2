package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"carebridge"
)

// testCredentials: users' roles, disabling, the audience of sessions, and
// admin tokens' roles, lifetimes and revocation; every change that ends or
// narrows a credential moves the generation, and nothing else does.
func testCredentials(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Tenancy, tn.ctx
	gen := func() int64 { t.Helper(); return ok(s.CredentialGeneration(ctx)).must(t) }
	g0 := gen()

	// A user is api unless created otherwise; the role is read back.
	if tn.user.Role != carebridge.RoleAPI {
		t.Fatalf("default role %q", tn.user.Role)
	}
	agent := ok(s.CreateUser(ctx, carebridge.User{OrganisationID: tn.org.ID, OperatorID: tn.op.ID,
		Username: "agent", PasswordHash: "h", Role: carebridge.RoleCare, CreatedAt: base})).must(t)
	if u := ok(s.UserForLogin(ctx, tn.org.Name, "agent")).must(t); u.Role != carebridge.RoleCare || u.ID != agent.ID {
		t.Fatalf("UserForLogin = %+v", u)
	}
	if u := ok(s.UserByName(ctx, tn.org.ID, "agent")).must(t); u.Role != carebridge.RoleCare {
		t.Fatalf("UserByName = %+v", u)
	}
	_, err := s.UserByName(ctx, tn.org.ID+1000, "agent")
	wantCode(t, err, carebridge.ENOTFOUND)
	if gen() != g0 {
		t.Fatal("creating a user moved the generation")
	}

	// The session keeps its audience; the role is the user's now.
	caller := carebridge.Caller{UserID: agent.ID, Username: "agent", Role: carebridge.RoleCare, OperatorID: tn.op.ID, OrganisationID: tn.org.ID}
	hash := bytes.Repeat([]byte{9}, 32)
	if err := s.CreateSession(ctx, carebridge.Session{TokenHash: hash, Audience: carebridge.AudienceCare, Caller: caller, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ss := ok(s.SessionByTokenHash(ctx, hash, base)).must(t); ss.Audience != carebridge.AudienceCare || ss.Caller != caller {
		t.Fatalf("session = %+v", ss)
	}
	// A role change ends the sessions of the audiences it is told, and
	// only those, for good.
	crm := bytes.Repeat([]byte{7}, 32)
	if err := s.CreateSession(ctx, carebridge.Session{TokenHash: crm, Audience: carebridge.AudienceCRM, Caller: caller, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, agent.ID, carebridge.RoleSupervisor, base, []carebridge.Audience{carebridge.AudienceCRM}); err != nil {
		t.Fatal(err)
	}
	if ss := ok(s.SessionByTokenHash(ctx, hash, base)).must(t); ss.Caller.Role != carebridge.RoleSupervisor {
		t.Fatalf("role after SetUserRole = %q", ss.Caller.Role)
	}
	_, err = s.SessionByTokenHash(ctx, crm, base)
	wantCode(t, err, carebridge.ENOTFOUND)
	if err := s.SetUserRole(ctx, agent.ID, carebridge.RoleAPI, base, nil); err != nil { // the crm session stays ended
		t.Fatal(err)
	}
	_, err = s.SessionByTokenHash(ctx, crm, base)
	wantCode(t, err, carebridge.ENOTFOUND)
	if err := s.SetUserRole(ctx, agent.ID, carebridge.RoleCare, base, nil); err != nil {
		t.Fatal(err)
	}
	ok(s.SessionByTokenHash(ctx, hash, base)).must(t)
	g1 := gen()
	if g1 != g0+3 {
		t.Fatalf("generation after three role changes = %d, want %d", g1, g0+3)
	}
	wantCode(t, s.SetUserRole(ctx, agent.ID+1000, carebridge.RoleCare, base, nil), carebridge.ENOTFOUND)
	if gen() != g1 {
		t.Fatal("a refused SetUserRole moved the generation")
	}

	// Disabling ends every live session and refuses the login, once; the
	// other users keep theirs.
	other := bytes.Repeat([]byte{8}, 32)
	if err := s.CreateSession(ctx, carebridge.Session{TokenHash: other, Audience: carebridge.AudienceCRM, Caller: tn.caller, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DisableUser(ctx, agent.ID, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByTokenHash(ctx, hash, base.Add(2*time.Minute))
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = s.UserForLogin(ctx, tn.org.Name, "agent")
	wantCode(t, err, carebridge.ENOTFOUND)
	ok(s.SessionByTokenHash(ctx, other, base.Add(2*time.Minute))).must(t)
	if gen() != g1+1 {
		t.Fatal("DisableUser did not move the generation once")
	}
	wantCode(t, s.DisableUser(ctx, agent.ID, base.Add(time.Hour)), carebridge.ENOTFOUND)
	if gen() != g1+1 {
		t.Fatal("a second DisableUser moved the generation")
	}

	// Admin tokens: role, lifetime, last use; listed by name; revoked once.
	ops := carebridge.AdminToken{Name: "robot", Role: carebridge.RoleOps, CreatedAt: base, ExpiresAt: base.Add(720 * time.Hour)}
	adm := carebridge.AdminToken{Name: "desk", Role: carebridge.RoleAdmin, CreatedAt: base}
	opsHash, admHash := bytes.Repeat([]byte{5}, 32), bytes.Repeat([]byte{6}, 32)
	for _, c := range []struct {
		t    carebridge.AdminToken
		hash []byte
	}{{ops, opsHash}, {adm, admHash}} {
		if err := s.CreateAdminToken(ctx, c.t, c.hash); err != nil {
			t.Fatal(err)
		}
	}
	got := ok(s.AdminToken(ctx, opsHash)).must(t)
	if got.Name != "robot" || got.Role != carebridge.RoleOps || !got.ExpiresAt.Equal(ops.ExpiresAt) || !got.LastUsedAt.IsZero() {
		t.Fatalf("AdminToken = %+v", got)
	}
	if err := s.TouchAdminToken(ctx, got.ID, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAdminToken(ctx, got.ID, base.Add(time.Minute)); err != nil { // late: never moves it back
		t.Fatal(err)
	}
	if u := ok(s.AdminToken(ctx, opsHash)).must(t).LastUsedAt; !u.Equal(base.Add(time.Hour)) {
		t.Fatalf("last used %s, want %s", u, base.Add(time.Hour))
	}
	list := ok(s.AdminTokens(ctx)).must(t)
	names := []string{}
	for _, a := range list {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"desk", "robot"}) || !list[0].ExpiresAt.IsZero() || list[0].Role != carebridge.RoleAdmin {
		t.Fatalf("AdminTokens = %+v", list)
	}
	g2 := gen()
	if err := s.RevokeAdminToken(ctx, "robot"); err != nil {
		t.Fatal(err)
	}
	_, err = s.AdminToken(ctx, opsHash)
	wantCode(t, err, carebridge.ENOTFOUND)
	ok(s.AdminToken(ctx, admHash)).must(t)
	if gen() != g2+1 {
		t.Fatal("RevokeAdminToken did not move the generation")
	}
	wantCode(t, s.RevokeAdminToken(ctx, "robot"), carebridge.ENOTFOUND)
	if gen() != g2+1 {
		t.Fatal("a refused revoke moved the generation")
	}
}
