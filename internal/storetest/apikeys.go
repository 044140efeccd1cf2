package storetest

import (
	"bytes"
	"testing"
	"time"

	"carebridge"
)

// testAPIKeys: web API keys are found by hash only for an enabled user of
// the role asked, with the key's id; labels are unique per user; a session
// opened with a key records its use; revoking a key ends the sessions
// opened with it, and only those, and moves the generation once.
func testAPIKeys(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Tenancy, tn.ctx
	gen := func() int64 { t.Helper(); return ok(s.CredentialGeneration(ctx)).must(t) }

	erpHash, otherHash := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	erp := ok(s.CreateAPIKey(ctx, carebridge.APIKey{UserID: tn.user.ID, Label: "erp", CreatedAt: base.Add(time.Second / 2)}, erpHash)).must(t)
	if erp.ID == 0 || !erp.CreatedAt.Equal(base) {
		t.Fatalf("CreateAPIKey = %+v", erp)
	}
	_, err := s.CreateAPIKey(ctx, carebridge.APIKey{UserID: tn.user.ID, Label: "erp", CreatedAt: base}, otherHash)
	wantCode(t, err, carebridge.ECONFLICT)
	other := ok(s.CreateAPIKey(ctx, carebridge.APIKey{UserID: tn.user.ID, Label: "backup", CreatedAt: base}, otherHash)).must(t)

	u, id, err := s.UserForAPIKey(ctx, erpHash, carebridge.RoleAPI)
	if err != nil || u.ID != tn.user.ID || u.Role != carebridge.RoleAPI || u.OperatorID != tn.op.ID || u.OrganisationID != tn.org.ID || id != erp.ID {
		t.Fatalf("UserForAPIKey = %+v, %d, %v", u, id, err)
	}
	_, _, err = s.UserForAPIKey(ctx, bytes.Repeat([]byte{3}, 32), carebridge.RoleAPI)
	wantCode(t, err, carebridge.ENOTFOUND)
	_, _, err = s.UserForAPIKey(ctx, erpHash, carebridge.RoleCare)
	wantCode(t, err, carebridge.ENOTFOUND)

	// Listed by label, never used yet; a session opened with a key records
	// its use, never moving it back.
	list := ok(s.APIKeys(ctx, tn.user.ID)).must(t)
	if len(list) != 2 || list[0].Label != "backup" || list[1].Label != "erp" || !list[1].LastUsedAt.IsZero() || list[1].UserID != tn.user.ID {
		t.Fatalf("APIKeys = %+v", list)
	}
	if l := ok(s.APIKeys(ctx, tn.user.ID+1000)).must(t); l == nil || len(l) != 0 {
		t.Fatalf("APIKeys of nobody = %#v", l)
	}
	viaKey, viaOther, viaPassword := bytes.Repeat([]byte{4}, 32), bytes.Repeat([]byte{5}, 32), bytes.Repeat([]byte{6}, 32)
	for _, ss := range []carebridge.Session{
		{TokenHash: viaKey, APIKeyID: erp.ID, CreatedAt: base.Add(time.Hour)},
		{TokenHash: viaOther, APIKeyID: other.ID, CreatedAt: base.Add(time.Hour)},
		{TokenHash: viaPassword, CreatedAt: base.Add(time.Hour)},
		{TokenHash: bytes.Repeat([]byte{7}, 32), APIKeyID: erp.ID, CreatedAt: base.Add(time.Minute)},
	} {
		ss.Audience, ss.Caller, ss.ExpiresAt = carebridge.AudienceCRM, tn.caller, base.Add(3*time.Hour)
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	list = ok(s.APIKeys(ctx, tn.user.ID)).must(t)
	if !list[1].LastUsedAt.Equal(base.Add(time.Hour)) {
		t.Fatalf("erp last used %s, want %s", list[1].LastUsedAt, base.Add(time.Hour))
	}

	// Revoking ends the key's sessions and nothing else, once.
	g := gen()
	wantCode(t, s.RevokeAPIKey(ctx, tn.user.ID, "nope", base.Add(2*time.Hour)), carebridge.ENOTFOUND)
	wantCode(t, s.RevokeAPIKey(ctx, tn.user.ID+1000, "erp", base.Add(2*time.Hour)), carebridge.ENOTFOUND)
	if gen() != g {
		t.Fatal("a refused revoke moved the generation")
	}
	if err := s.RevokeAPIKey(ctx, tn.user.ID, "erp", base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if gen() != g+1 {
		t.Fatal("RevokeAPIKey did not move the generation once")
	}
	_, err = s.SessionByTokenHash(ctx, viaKey, base.Add(2*time.Hour))
	wantCode(t, err, carebridge.ENOTFOUND)
	ok(s.SessionByTokenHash(ctx, viaOther, base.Add(2*time.Hour))).must(t)
	ok(s.SessionByTokenHash(ctx, viaPassword, base.Add(2*time.Hour))).must(t)
	_, _, err = s.UserForAPIKey(ctx, erpHash, carebridge.RoleAPI)
	wantCode(t, err, carebridge.ENOTFOUND)
	wantCode(t, s.RevokeAPIKey(ctx, tn.user.ID, "erp", base.Add(2*time.Hour)), carebridge.ENOTFOUND)
	if l := ok(s.APIKeys(ctx, tn.user.ID)).must(t); len(l) != 1 || l[0].Label != "backup" {
		t.Fatalf("APIKeys after revoke = %+v", l)
	}

	// A disabled user's keys find nobody.
	if err := s.DisableUser(ctx, tn.user.ID, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.UserForAPIKey(ctx, otherHash, carebridge.RoleAPI)
	wantCode(t, err, carebridge.ENOTFOUND)
}
