package storetest

import (
	"bytes"
	"testing"
	"time"

	"carebridge"
)

func testTenancy(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Tenancy, tn.ctx

	if has, err := s.HasOrganisations(ctx); err != nil || !has {
		t.Fatalf("HasOrganisations = %v, %v; want true", has, err)
	}
	if has, err := open(t).Tenancy.HasOrganisations(ctx); err != nil || has {
		t.Fatalf("fresh HasOrganisations = %v, %v; want false", has, err)
	}

	got := ok(s.OrganisationByName(ctx, "acme")).must(t)
	if got.ID != tn.org.ID || got.Name != "acme" || !got.CreatedAt.Equal(base) {
		t.Fatalf("OrganisationByName = %+v", got)
	}
	_, err := s.OrganisationByName(ctx, "nobody")
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = s.CreateOrganisation(ctx, "acme", base)
	wantCode(t, err, carebridge.ECONFLICT)

	other := ok(s.CreateOrganisation(ctx, "globex", base)).must(t)

	// Operator names and alternative codes are unique within an
	// organisation, not across organisations.
	_, err = s.CreateOperator(ctx, carebridge.Operator{OrganisationID: tn.org.ID, Name: "op1", CreatedAt: base})
	wantCode(t, err, carebridge.ECONFLICT)
	_, err = s.CreateOperator(ctx, carebridge.Operator{OrganisationID: tn.org.ID, Name: "op3", AlternativeCode: "OP1", CreatedAt: base})
	wantCode(t, err, carebridge.ECONFLICT)
	ok(s.CreateOperator(ctx, carebridge.Operator{OrganisationID: tn.org.ID, Name: "op4", CreatedAt: base})).must(t) // second without a code
	otherOp := ok(s.CreateOperator(ctx, carebridge.Operator{OrganisationID: other.ID, Name: "op1", AlternativeCode: "OP1", CreatedAt: base})).must(t)

	op := ok(s.OperatorByName(ctx, tn.org.ID, "op1")).must(t)
	if op.ID != tn.op.ID || op.AlternativeCode != "OP1" || op.OrganisationID != tn.org.ID {
		t.Fatalf("OperatorByName = %+v, want %+v", op, tn.op)
	}
	_, err = s.OperatorByName(ctx, tn.org.ID, "op9")
	wantCode(t, err, carebridge.ENOTFOUND)

	// Users: unique per organisation; the operator must be of the same
	// organisation (the store refuses a cross-tenant user outright).
	_, err = s.CreateUser(ctx, carebridge.User{OrganisationID: tn.org.ID, OperatorID: tn.op2.ID, Username: "alice", PasswordHash: "x", CreatedAt: base})
	wantCode(t, err, carebridge.ECONFLICT)
	if _, err := s.CreateUser(ctx, carebridge.User{OrganisationID: tn.org.ID, OperatorID: otherOp.ID, Username: "mallory", PasswordHash: "x", CreatedAt: base}); err == nil {
		t.Fatal("a user of one organisation was stored with another organisation's operator")
	}
	ok(s.CreateUser(ctx, carebridge.User{OrganisationID: other.ID, OperatorID: otherOp.ID, Username: "alice", PasswordHash: "y", CreatedAt: base})).must(t)

	u := ok(s.UserForLogin(ctx, "acme", "alice")).must(t)
	if u.ID != tn.user.ID || u.OperatorID != tn.op.ID || u.PasswordHash != "x" {
		t.Fatalf("UserForLogin = %+v", u)
	}
	u2 := ok(s.UserForLogin(ctx, "globex", "alice")).must(t)
	if u2.ID == u.ID || u2.PasswordHash != "y" {
		t.Fatalf("UserForLogin(globex) = %+v, want globex's alice", u2)
	}
	_, err = s.UserForLogin(ctx, "acme", "mallory")
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = s.UserForLogin(ctx, "nobody", "alice")
	wantCode(t, err, carebridge.ENOTFOUND)
}

func testSessions(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Tenancy, tn.ctx
	hash := bytes.Repeat([]byte{1}, 32)
	expires := base.Add(2 * time.Hour)
	if err := s.CreateSession(ctx, carebridge.Session{TokenHash: hash, Audience: carebridge.AudienceCRM, Caller: tn.caller, CreatedAt: base, ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	ss := ok(s.SessionByTokenHash(ctx, hash, base.Add(time.Hour))).must(t)
	if ss.Caller != tn.caller || ss.Audience != carebridge.AudienceCRM || !ss.ExpiresAt.Equal(expires) {
		t.Fatalf("session = %+v, want caller %+v", ss, tn.caller)
	}
	_, err := s.SessionByTokenHash(ctx, hash, expires)
	wantCode(t, err, carebridge.ENOTFOUND) // expired at its expiry instant
	_, err = s.SessionByTokenHash(ctx, bytes.Repeat([]byte{2}, 32), base)
	wantCode(t, err, carebridge.ENOTFOUND)

	// Release ends it once; an expired or unknown session cannot be released.
	wantCode(t, s.ReleaseSession(ctx, hash, expires), carebridge.ENOTFOUND)
	if err := s.ReleaseSession(ctx, hash, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = s.SessionByTokenHash(ctx, hash, base.Add(2*time.Minute))
	wantCode(t, err, carebridge.ENOTFOUND)
	wantCode(t, s.ReleaseSession(ctx, hash, base.Add(3*time.Minute)), carebridge.ENOTFOUND)

	// Purge: the released session (released at base+1m) and an expired one go;
	// a live one stays.
	expired := bytes.Repeat([]byte{3}, 32)
	live := bytes.Repeat([]byte{4}, 32)
	for _, ss := range []carebridge.Session{
		{TokenHash: expired, Audience: carebridge.AudienceCRM, Caller: tn.caller, CreatedAt: base, ExpiresAt: base.Add(time.Minute)},
		{TokenHash: live, Audience: carebridge.AudienceCare, Caller: tn.caller, CreatedAt: base, ExpiresAt: base.Add(48 * time.Hour)},
	} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	n := ok(s.DeleteSessionsEndedBefore(ctx, base.Add(time.Hour))).must(t)
	if n != 2 {
		t.Fatalf("DeleteSessionsEndedBefore removed %d, want 2", n)
	}
	ok(s.SessionByTokenHash(ctx, live, base.Add(time.Hour))).must(t)
}
