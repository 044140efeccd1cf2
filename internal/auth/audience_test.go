package auth_test

import (
	"context"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/tokencache"
)

// careEnv is newEnv with a care agent, bob, beside alice (api), and the
// care audience's service.
func careEnv(t *testing.T) (e *env, care *auth.Service, bob carebridge.User) {
	t.Helper()
	e = newEnv(t)
	e.svc.Sessions = tokencache.New[carebridge.Caller](time.Hour) // the CRM.COM face caches
	ctx := context.Background()
	hash, err := goodHash()
	if err != nil {
		t.Fatal(err)
	}
	bob, err = e.store.CreateUser(ctx, carebridge.User{OrganisationID: e.caller.OrganisationID, OperatorID: e.caller.OperatorID,
		Username: "bob", PasswordHash: hash, Role: carebridge.RoleCare, CreatedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	return e, e.svc.ForAudience(carebridge.AudienceCare, 8*time.Hour), bob
}

// Each audience admits its roles only; anyone else is answered exactly as
// a wrong password is, and a session of one audience is refused by the
// other.
func TestAudiences(t *testing.T) {
	t.Parallel()
	e, care, _ := careEnv(t)
	ctx := context.Background()
	_, wrong := care.Login(ctx, orgName, "bob", "wrong password!", "192.0.2.1")
	_, unknown := care.Login(ctx, orgName, "nobody", goodPassword, "192.0.2.1")
	_, api := care.Login(ctx, orgName, alice, goodPassword, "192.0.2.1")
	_, careAtCRM := e.svc.Login(ctx, orgName, "bob", goodPassword, "192.0.2.1")
	for name, err := range map[string]error{"unknown": unknown, "api user at care": api, "care user at CRM.COM": careAtCRM} {
		if carebridge.ErrorCode(err) != carebridge.ECREDENTIALS || carebridge.ErrorMessage(err) != carebridge.ErrorMessage(wrong) {
			t.Errorf("%s: %v; want the wrong password's answer %v", name, err, wrong)
		}
	}

	tok, err := care.Login(ctx, orgName, "bob", goodPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Caller.Role != carebridge.RoleCare || !tok.ExpiresAt.Equal(start.Add(8*time.Hour)) {
		t.Fatalf("care token %+v; want role care for 8 hours", tok)
	}
	ss, err := care.Session(ctx, tok.Value)
	if err != nil || ss.Audience != carebridge.AudienceCare || ss.Caller != tok.Caller {
		t.Fatalf("care Session = %+v, %v", ss, err)
	}
	if _, err := e.svc.Authenticate(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("care token at the CRM.COM face: %v; want refused", err)
	}
	if err := e.svc.Release(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("care token released by the CRM.COM face: %v; want refused", err)
	}
	crm := e.login(t, "192.0.2.1")
	if _, err := care.Session(ctx, crm.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("CRM.COM token on the care plane: %v; want refused", err)
	}
	if err := care.Release(ctx, crm.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("CRM.COM token released by the care plane: %v; want refused", err)
	}
	if _, err := e.svc.Authenticate(ctx, crm.Value); err != nil {
		t.Errorf("the CRM.COM token after the care plane refused it: %v", err)
	}
	if err := care.Release(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := care.Session(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Errorf("released care token: %v; want refused", err)
	}
}

// The role is read on every check of a care session (nothing is cached):
// a care agent made api, or disabled, is refused at once.
func TestCareSessionFollowsTheUser(t *testing.T) {
	t.Parallel()
	e, care, bob := careEnv(t)
	ctx := context.Background()
	tok, err := care.Login(ctx, orgName, "bob", goodPassword, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	role := func(r carebridge.Role) {
		t.Helper()
		if err := e.store.SetUserRole(ctx, bob.ID, r, start, carebridge.AudiencesRefusing(r)); err != nil {
			t.Fatal(err)
		}
	}
	role(carebridge.RoleSupervisor)
	if ss, err := care.Session(ctx, tok.Value); err != nil || ss.Caller.Role != carebridge.RoleSupervisor {
		t.Fatalf("after promotion: %+v, %v", ss, err)
	}
	role(carebridge.RoleAPI)
	if _, err := care.Session(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("care session of a user made api: %v; want refused", err)
	}
	// Ended for good: made a care agent again, the user logs in anew.
	role(carebridge.RoleCare)
	if _, err := care.Session(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("the care session came back with the role: %v", err)
	}
	if tok, err = care.Login(ctx, orgName, "bob", goodPassword, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DisableUser(ctx, bob.ID, start); err != nil {
		t.Fatal(err)
	}
	if _, err := care.Session(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("session of a disabled user: %v; want refused", err)
	}
	if _, err := care.Login(ctx, orgName, "bob", goodPassword, "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Fatalf("login of a disabled user: %v; want bad credentials", err)
	}
}

// A password guessed at one face counts at the other: the throttles are
// shared.
func TestAudiencesShareThrottles(t *testing.T) {
	t.Parallel()
	e, care, _ := careEnv(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := e.svc.Login(ctx, orgName, "bob", "wrong password!", "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := care.Login(ctx, orgName, "bob", goodPassword, "192.0.2.2"); carebridge.ErrorCode(err) != carebridge.ETHROTTLED {
		t.Fatalf("care login after five guesses at the CRM.COM face: %v; want throttled", err)
	}
}

// A successful login does not wipe the failures before it: a guesser gets
// no fresh tries each time the real user logs in.
func TestSuccessForgivesNoFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	guess := func(i int) error {
		_, err := e.svc.Login(ctx, orgName, alice, "wrong password!", "192.0.2.1")
		return err
	}
	for i := range 4 {
		if err := guess(i); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	e.login(t, "192.0.2.2")
	if err := guess(5); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Fatalf("fifth guess: %v", err)
	}
	if _, err := e.svc.Login(ctx, orgName, alice, goodPassword, "192.0.2.3"); carebridge.ErrorCode(err) != carebridge.ETHROTTLED {
		t.Fatalf("login after five failures around a success: %v; want throttled", err)
	}
}
