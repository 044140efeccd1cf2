package auth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"

	"carebridge"
)

// cheapHash is an argon2id hash of password at the smallest cost the
// verifier accepts, so that tests can judge hundreds of logins quickly.
func cheapHash(password string) string {
	salt := []byte("flood-test-salt!")
	key := argon2.IDKey([]byte(password), salt, 1, 8, 1, 16)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
}

const cheapPassword = "cheap but correct"

// addUsers creates users with cheapPassword in alice's organisation.
func (e *env) addUsers(t *testing.T, names ...string) {
	t.Helper()
	hash := cheapHash(cheapPassword)
	for _, name := range names {
		_, err := e.store.CreateUser(context.Background(), carebridge.User{
			OrganisationID: e.caller.OrganisationID, OperatorID: e.caller.OperatorID,
			Username: name, PasswordHash: hash, CreatedAt: start,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// names returns n names with prefix.
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// failLogin sends a wrong password, which must be judged and refused.
func (e *env) failLogin(t *testing.T, user, addr string) {
	t.Helper()
	_, err := e.svc.Login(context.Background(), orgName, user, "wrong password!", addr)
	if carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Fatalf("wrong password for %s from %s: %v; want it judged and refused", user, addr, err)
	}
}

// lockAddress fails 20 logins from addr (its limit) over four users of
// its own, which lock too.
func (e *env) lockAddress(t *testing.T, addr string) {
	t.Helper()
	users := names("lock-"+addr, 4)
	e.addUsers(t, users...)
	for i := range 20 {
		e.failLogin(t, users[i%4], addr)
	}
}

// A flood of more new usernames and addresses than the throttle tables
// hold must not push out a lock: the locked user and the locked address
// stay refused, even with the right password, and the tables stay at their
// capacity.
func TestLoginFloodKeepsLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const capacity = 200
	e.svc.SetThrottleKeys(capacity)
	const lockedAddr = "198.51.100.1"
	e.addUsers(t, "demo")
	for range 5 {
		e.failLogin(t, "demo", "192.0.2.1")
	}
	e.lockAddress(t, lockedAddr)

	flood := names("flood", capacity+100)
	e.addUsers(t, flood...)
	for i, user := range flood {
		// Each from its own address, so that no address limit stops it.
		e.failLogin(t, user, fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
	}
	users, addrs := e.svc.ThrottleLens()
	if users != capacity || addrs != capacity {
		t.Errorf("throttles track %d users and %d addresses; want %d each", users, addrs, capacity)
	}
	ctx := context.Background()
	_, err := e.svc.Login(ctx, orgName, "demo", cheapPassword, "192.0.2.200")
	wantThrottled(t, "locked user with the right password after the flood", err)
	_, err = e.svc.Login(ctx, orgName, alice, goodPassword, lockedAddr)
	wantThrottled(t, "locked address after the flood", err)
}

// Attempts refused by the throttle, and attempts abandoned before the
// password is judged, leave no key in either table: refused ones cannot be
// used to fill the tables, nor to push other keys out.
func TestLoginRefusedPlantsNoKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	wantLens := func(what string, wantUsers, wantAddrs int) {
		t.Helper()
		if users, addrs := e.svc.ThrottleLens(); users != wantUsers || addrs != wantAddrs {
			t.Errorf("%s: throttles track %d users and %d addresses; want %d and %d", what, users, addrs, wantUsers, wantAddrs)
		}
	}
	const lockedAddr = "198.51.100.1"
	e.lockAddress(t, lockedAddr)
	wantLens("after locking an address", 4, 1)
	for i := range 30 {
		_, err := e.svc.Login(ctx, orgName, fmt.Sprintf("ghost-%d", i), "wrong password!", lockedAddr)
		wantThrottled(t, "new user from the locked address", err)
	}
	wantLens("after new users from the locked address", 4, 1)

	locked := "lock-" + lockedAddr + "-0"
	for i := range 30 {
		_, err := e.svc.Login(ctx, orgName, locked, cheapPassword, fmt.Sprintf("203.0.113.%d", i))
		wantThrottled(t, "locked user from a new address", err)
	}
	wantLens("after a locked user from new addresses", 4, 1)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for i := range 30 {
		_, err := e.svc.Login(cancelled, orgName, fmt.Sprintf("ghost-%d", i), goodPassword, fmt.Sprintf("192.0.2.%d", i))
		if err == nil || carebridge.ErrorCode(err) == carebridge.ETHROTTLED {
			t.Fatalf("abandoned login %d: %v; want the context's error", i, err)
		}
	}
	wantLens("after abandoned logins", 4, 1)

	// A success leaves nothing either: the user's key is reset and the
	// address's one attempt forgiven.
	e.login(t, "192.0.2.77")
	wantLens("after a good login", 4, 1)
}
