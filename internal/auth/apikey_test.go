package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/auth"
)

// newKey gives alice a web API key labelled label and returns it.
func (e *env) newKey(t *testing.T, label string) string {
	t.Helper()
	key, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateAPIKey(context.Background(), carebridge.APIKey{UserID: e.caller.UserID, Label: label, CreatedAt: start}, auth.HashToken(key)); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestLoginWithKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	key := e.newKey(t, "erp")
	if len(key) != 2*auth.APIKeyBytes || strings.ToLower(key) != key {
		t.Fatalf("key %q is not %d lower-case hex characters", key, 2*auth.APIKeyBytes)
	}
	tok, err := e.svc.LoginWithKey(ctx, key, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if !tokenFormat.MatchString(tok.Value) || !tok.ExpiresAt.Equal(start.Add(lifetime)) || tok.Caller != e.caller {
		t.Fatalf("token = %+v; want a session of %+v until %s", tok, e.caller, start.Add(lifetime))
	}
	if got, err := e.svc.Authenticate(ctx, tok.Value); err != nil || got != e.caller {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	keys, err := e.store.APIKeys(ctx, e.caller.UserID)
	if err != nil || len(keys) != 1 || !keys[0].LastUsedAt.Equal(start) {
		t.Fatalf("APIKeys = %+v, %v; want erp last used at %s", keys, err, start)
	}

	// Revoking the key ends the session opened with it.
	if err := e.store.RevokeAPIKey(ctx, e.caller.UserID, "erp", start); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, tok.Value)
	wantCode(t, "Authenticate after revoke", err, carebridge.EUNAUTHORIZED)
	_, err = e.svc.LoginWithKey(ctx, key, "192.0.2.1")
	wantCode(t, "revoked key", err, carebridge.ECREDENTIALS)
}

// A key that is missing, unknown, of a user of another role or disabled is
// refused exactly as a wrong password is.
func TestLoginWithKeyRefusedAsBadCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, want := e.svc.Login(ctx, orgName, alice, "wrong password", "192.0.2.9")
	wantCode(t, "wrong password", want, carebridge.ECREDENTIALS)
	check := func(what string, err error) {
		t.Helper()
		if err == nil || err.Error() != want.Error() || carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
			t.Errorf("%s: %v; want %v", what, err, want)
		}
	}
	for _, k := range []string{"", strings.Repeat("0", 64), strings.Repeat("x", 300)} {
		_, err := e.svc.LoginWithKey(ctx, k, "192.0.2.2")
		check("key "+k[:min(len(k), 8)], err)
	}
	key := e.newKey(t, "erp")
	if err := e.store.SetUserRole(ctx, e.caller.UserID, carebridge.RoleCare, start, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.LoginWithKey(ctx, key, "192.0.2.2")
	check("care user's key", err)
	if err := e.store.SetUserRole(ctx, e.caller.UserID, carebridge.RoleAPI, start, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LoginWithKey(ctx, key, "192.0.2.2"); err != nil {
		t.Fatalf("api user's key: %v", err)
	}
	if err := e.store.DisableUser(ctx, e.caller.UserID, start); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.LoginWithKey(ctx, key, "192.0.2.2")
	check("disabled user's key", err)
}

// Failed key logins are throttled per key and per address, in the tables
// of the password login.
func TestLoginWithKeyThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	key := e.newKey(t, "erp")
	unknown := strings.Repeat("a", 64)
	// Per key: 5 failures lock the key, from any address.
	for i := range 5 {
		_, err := e.svc.LoginWithKey(ctx, unknown, "192.0.2."+string(rune('1'+i)))
		wantCode(t, "unknown key", err, carebridge.ECREDENTIALS)
	}
	_, err := e.svc.LoginWithKey(ctx, unknown, "198.51.100.1")
	wantThrottled(t, "sixth try of a key", err)
	if _, err := e.svc.LoginWithKey(ctx, key, "198.51.100.1"); err != nil {
		t.Fatalf("another key is not locked: %v", err)
	}
	// Per address, shared with the password login: 20 failures in all.
	addr := "203.0.113.7"
	for i := range 10 {
		_, err := e.svc.Login(ctx, orgName, alice+string(rune('a'+i)), "x", addr)
		wantCode(t, "wrong user", err, carebridge.ECREDENTIALS)
		_, err = e.svc.LoginWithKey(ctx, strings.Repeat(string(rune('a'+i%6)), 63)+"0", addr)
		if err != nil && carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
			var te *auth.ThrottledError
			if !errors.As(err, &te) {
				t.Fatal(err)
			}
		}
	}
	_, err = e.svc.LoginWithKey(ctx, key, addr)
	wantThrottled(t, "good key from a locked address", err)
	_, err = e.svc.Login(ctx, orgName, alice, goodPassword, addr)
	wantThrottled(t, "good password from a locked address", err)
}
