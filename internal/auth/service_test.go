package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/sqlite"
	"carebridge/internal/testserver"
	"carebridge/internal/tokencache"
)

const (
	goodPassword = "correct horse battery"
	lifetime     = time.Hour
	window       = 15 * time.Minute // the service's throttle window
)

// start is a whole second, so that session expiry (stored in seconds) falls
// exactly at start+lifetime.
var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// countingStore is the real store, with counts of the calls that the tests
// must prove do or do not happen.
type countingStore struct {
	*sqlite.TenancyStore
	userLookups    atomic.Int64 // UserForLogin
	sessionLookups atomic.Int64 // SessionByTokenHash and ReleaseSession
}

func (s *countingStore) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	s.userLookups.Add(1)
	return s.TenancyStore.UserForLogin(ctx, organisation, username)
}

func (s *countingStore) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error) {
	s.sessionLookups.Add(1)
	return s.TenancyStore.SessionByTokenHash(ctx, hash, now)
}

func (s *countingStore) ReleaseSession(ctx context.Context, hash []byte, now time.Time) error {
	s.sessionLookups.Add(1)
	return s.TenancyStore.ReleaseSession(ctx, hash, now)
}

// The good password's hash is computed once for all tests: hashing is slow.
var goodHash = sync.OnceValues(func() (string, error) {
	return auth.HashPassword(context.Background(), goodPassword)
})

type env struct {
	svc    *auth.Service
	store  *countingStore
	clock  *testserver.Clock
	caller carebridge.Caller // alice's identity
}

const (
	orgName = "Acme Cable"
	alice   = "alice"
)

// newEnv opens a fresh migrated database holding organisation "Acme Cable",
// operator "Acme TV" and user alice with goodPassword, and a Service on it.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := testserver.SQLite(t)
	ts := sqlite.NewTenancyStore(db)
	org, err := ts.CreateOrganisation(ctx, orgName, start)
	if err != nil {
		t.Fatal(err)
	}
	op, err := ts.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "Acme TV", CreatedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := goodHash()
	if err != nil {
		t.Fatal(err)
	}
	u, err := ts.CreateUser(ctx, carebridge.User{
		OrganisationID: org.ID, OperatorID: op.ID, Username: alice, PasswordHash: hash, CreatedAt: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		store:  &countingStore{TenancyStore: ts},
		clock:  testserver.NewClock(start),
		caller: carebridge.Caller{UserID: u.ID, Username: alice, Role: carebridge.RoleAPI, OperatorID: op.ID, OrganisationID: org.ID},
	}
	e.svc = auth.NewService(e.store, e.clock.Now, lifetime)
	return e
}

// login logs alice in from addr with the good password and fails the test
// if that does not work.
func (e *env) login(t *testing.T, addr string) auth.Token {
	t.Helper()
	tok, err := e.svc.Login(context.Background(), orgName, alice, goodPassword, addr)
	if err != nil {
		t.Fatalf("good login from %s: %v", addr, err)
	}
	return tok
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := carebridge.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q; want %q", what, err, got, code)
	}
}

// wantThrottled fails the test unless err is a *ThrottledError unwrapping to
// ETHROTTLED, and returns it.
func wantThrottled(t *testing.T, what string, err error) *auth.ThrottledError {
	t.Helper()
	var te *auth.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("%s: error %v (%T); want *auth.ThrottledError", what, err, err)
	}
	if got := carebridge.ErrorCode(te.Unwrap()); got != carebridge.ETHROTTLED {
		t.Errorf("%s: Unwrap code %q; want %q", what, got, carebridge.ETHROTTLED)
	}
	return te
}

var tokenFormat = regexp.MustCompile(`^[0-9A-F]{32}$`)

func TestLoginAuthenticateRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tok := e.login(t, "192.0.2.1")
	if !tokenFormat.MatchString(tok.Value) {
		t.Errorf("token %q is not 32 upper-case hex characters", tok.Value)
	}
	if want := start.Add(lifetime); !tok.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v; want %v", tok.ExpiresAt, want)
	}
	got, err := e.svc.Authenticate(ctx, tok.Value)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if got != e.caller {
		t.Errorf("Authenticate = %+v; want %+v", got, e.caller)
	}
	// Hex case carries no meaning.
	if got, err := e.svc.Authenticate(ctx, strings.ToLower(tok.Value)); err != nil || got != e.caller {
		t.Errorf("Authenticate(lower case) = %+v, %v; want %+v, nil", got, err, e.caller)
	}
	if err := e.svc.Release(ctx, tok.Value); err != nil {
		t.Fatalf("Release: %v", err)
	}
	_, err = e.svc.Authenticate(ctx, tok.Value)
	wantCode(t, "Authenticate after Release", err, carebridge.EUNAUTHORIZED)
	wantCode(t, "second Release", e.svc.Release(ctx, tok.Value), carebridge.EUNAUTHORIZED)
}

func TestTokenExpiresAtLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tok := e.login(t, "192.0.2.1")
	e.clock.Set(start.Add(lifetime - time.Second))
	if got, err := e.svc.Authenticate(ctx, tok.Value); err != nil || got != e.caller {
		t.Fatalf("Authenticate 1s before expiry = %+v, %v; want %+v, nil", got, err, e.caller)
	}
	e.clock.Set(start.Add(lifetime))
	_, err := e.svc.Authenticate(ctx, tok.Value)
	wantCode(t, "Authenticate at exactly lifetime", err, carebridge.EUNAUTHORIZED)
	wantCode(t, "Release at exactly lifetime", e.svc.Release(ctx, tok.Value), carebridge.EUNAUTHORIZED)
}

func TestGarbageTokenSkipsStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, tok := range []string{"", "not-a-token", strings.Repeat("G", 32), strings.Repeat("A", 31), strings.Repeat("A", 33)} {
		_, err := e.svc.Authenticate(ctx, tok)
		wantCode(t, fmt.Sprintf("Authenticate(%q)", tok), err, carebridge.EUNAUTHORIZED)
		wantCode(t, fmt.Sprintf("Release(%q)", tok), e.svc.Release(ctx, tok), carebridge.EUNAUTHORIZED)
	}
	if n := e.store.sessionLookups.Load(); n != 0 {
		t.Errorf("garbage tokens reached the store %d times; want 0", n)
	}
	// A well-formed but unknown token is looked up, and is unauthorized too.
	_, err := e.svc.Authenticate(ctx, strings.Repeat("A", 32))
	wantCode(t, "Authenticate(unknown token)", err, carebridge.EUNAUTHORIZED)
	if n := e.store.sessionLookups.Load(); n != 1 {
		t.Errorf("store lookups after a well-formed token = %d; want 1", n)
	}
}

func TestLoginBadCredentialsLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct{ name, org, user, password string }{
		{"wrong password", orgName, alice, "wrong password!"},
		{"unknown user", orgName, "mallory", goodPassword},
		{"unknown organisation", "Nowhere Ltd", alice, goodPassword},
	}
	var first error
	for _, c := range cases {
		tok, err := e.svc.Login(ctx, c.org, c.user, c.password, "192.0.2.1")
		wantCode(t, c.name, err, carebridge.ECREDENTIALS)
		if tok != (auth.Token{}) {
			t.Errorf("%s: token %+v returned with the error", c.name, tok)
		}
		if err == nil {
			continue
		}
		if first == nil {
			first = err
			continue
		}
		if err.Error() != first.Error() || carebridge.ErrorMessage(err) != carebridge.ErrorMessage(first) {
			t.Errorf("%s: error %q differs from %q", c.name, err, first)
		}
	}
}

// TestLoginLongNames: over-long names are refused before the store and the
// throttle tables see them, so they cannot fill the tables or lock out the
// address they come from.
func TestLoginLongNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	long := strings.Repeat("x", 101)
	const addr = "198.51.100.7"
	for i := range 30 {
		org, user := orgName, fmt.Sprintf("%s-%d", long, i)
		if i%2 == 1 {
			org, user = fmt.Sprintf("%s-%d", long, i), alice
		}
		_, err := e.svc.Login(ctx, org, user, "wrong password!", addr)
		wantCode(t, fmt.Sprintf("long-name attempt %d", i+1), err, carebridge.ECREDENTIALS)
	}
	if n := e.store.userLookups.Load(); n != 0 {
		t.Errorf("long names reached the store %d times; want 0", n)
	}
	// 30 attempts are over the address limit of 20: had any been counted,
	// this login would be throttled.
	e.login(t, addr)

	// A name of exactly 100 bytes is judged normally.
	_, err := e.svc.Login(ctx, orgName, strings.Repeat("y", 100), goodPassword, addr)
	wantCode(t, "100-byte username", err, carebridge.ECREDENTIALS)
	if n := e.store.userLookups.Load(); n != 2 {
		t.Errorf("store lookups = %d; want 2 (the good login and the 100-byte name)", n)
	}
}

// TestLoginParallelGuessesThrottled is the regression test for the
// check-then-count race: parallel wrong guesses must not all be judged.
func TestLoginParallelGuessesThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const n, userLimit = 40, 5
	const addr = "203.0.113.9"
	begin := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-begin
			_, errs[i] = e.svc.Login(ctx, orgName, alice, fmt.Sprintf("guess %d!!", i), addr)
		})
	}
	close(begin)
	wg.Wait()
	judged, throttled := 0, 0
	for i, err := range errs {
		var te *auth.ThrottledError
		switch {
		case errors.As(err, &te):
			throttled++
			if got := carebridge.ErrorCode(te.Unwrap()); got != carebridge.ETHROTTLED {
				t.Errorf("guess %d: Unwrap code %q; want %q", i, got, carebridge.ETHROTTLED)
			}
			if te.RetryAfter != window {
				t.Errorf("guess %d: RetryAfter = %v; want %v (clock did not move)", i, te.RetryAfter, window)
			}
		case carebridge.ErrorCode(err) == carebridge.ECREDENTIALS:
			judged++
		default:
			t.Errorf("guess %d: unexpected error %v", i, err)
		}
	}
	if judged < 1 || judged > userLimit || judged+throttled != n {
		t.Errorf("%d guesses judged, %d throttled; want at most %d judged and the rest throttled", judged, throttled, userLimit)
	}
	if n := e.store.userLookups.Load(); n != int64(judged) {
		t.Errorf("store lookups = %d; want %d (throttled attempts must not reach the store)", n, judged)
	}

	// Now even the right password is refused until the window ends.
	e.clock.Set(start.Add(window - time.Nanosecond))
	_, err := e.svc.Login(ctx, orgName, alice, goodPassword, addr)
	te := wantThrottled(t, "good password 1ns before window end", err)
	if te.RetryAfter != time.Nanosecond || te.Seconds() != 1 {
		t.Errorf("RetryAfter = %v, Seconds = %d; want 1ns, 1", te.RetryAfter, te.Seconds())
	}
	// From another address too: the lock is on the user.
	_, err = e.svc.Login(ctx, orgName, alice, goodPassword, "203.0.113.10")
	wantThrottled(t, "good password from another address", err)

	e.clock.Set(start.Add(window))
	tok := e.login(t, addr)
	if got, err := e.svc.Authenticate(ctx, tok.Value); err != nil || got != e.caller {
		t.Errorf("Authenticate after throttle = %+v, %v; want %+v, nil", got, err, e.caller)
	}
}

// TestLoginSuccessNotCounted: good logins beyond the user limit of 5 all
// succeed.
func TestLoginSuccessNotCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := range 10 {
		e.clock.Set(start.Add(time.Duration(i) * time.Second))
		tok := e.login(t, "192.0.2.50")
		if seen[tok.Value] {
			t.Fatalf("login %d repeated a token", i+1)
		}
		seen[tok.Value] = true
	}
	for tok := range seen {
		if _, err := e.svc.Authenticate(ctx, tok); err != nil {
			t.Errorf("Authenticate(%s): %v", tok, err)
		}
	}
}

// TestLoginAddressThrottle: 20 failures over different usernames lock the
// address they came from, not the user and not other addresses.
func TestLoginAddressThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const attacker, bystander = "198.51.100.66", "198.51.100.67"
	// A success first: it is forgiven, so the 20 failures below are all
	// judged.
	e.login(t, attacker)
	const addressLimit = 20
	errs := make([]error, addressLimit)
	var wg sync.WaitGroup
	for i := range addressLimit {
		wg.Go(func() {
			_, errs[i] = e.svc.Login(ctx, orgName, fmt.Sprintf("ghost-%d", i), goodPassword, attacker)
		})
	}
	wg.Wait()
	for i, err := range errs {
		wantCode(t, fmt.Sprintf("failure %d", i+1), err, carebridge.ECREDENTIALS)
	}
	e.clock.Set(start.Add(time.Minute))
	_, err := e.svc.Login(ctx, orgName, alice, goodPassword, attacker)
	te := wantThrottled(t, "21st attempt from the address", err)
	if want := window - time.Minute; te.RetryAfter != want {
		t.Errorf("RetryAfter = %v; want %v", te.RetryAfter, want)
	}
	// Attempts refused for the address do not count against alice: after
	// more of them than her own limit, she still logs in from elsewhere.
	for i := range 6 {
		_, err := e.svc.Login(ctx, orgName, alice, goodPassword, attacker)
		wantThrottled(t, fmt.Sprintf("attempt %d from the locked address", 22+i), err)
	}
	e.login(t, bystander)
	// And the attacker's address is free again once its window ends.
	e.clock.Set(start.Add(window))
	e.login(t, attacker)
}

// TestLoginCancelledNotCounted: an attempt abandoned before the password is
// judged counts against neither the user nor the address.
func TestLoginCancelledNotCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	const addr = "192.0.2.99"
	for i := range 25 { // over both the user (5) and address (20) limits
		_, err := e.svc.Login(cancelled, orgName, alice, goodPassword, addr)
		if err == nil {
			t.Fatalf("cancelled login %d succeeded", i+1)
		}
		if code := carebridge.ErrorCode(err); code == carebridge.ECREDENTIALS || code == carebridge.ETHROTTLED {
			t.Fatalf("cancelled login %d: error %v has code %q; want neither a judgement nor a throttle", i+1, err, code)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled login %d: error %v; want context.Canceled", i+1, err)
		}
	}
	e.login(t, addr)
}

func TestThrottledErrorSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want int
	}{
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{1500 * time.Millisecond, 2},
		{2 * time.Second, 2},
		{window, 900},
	}
	for _, tt := range tests {
		e := &auth.ThrottledError{RetryAfter: tt.d}
		if got := e.Seconds(); got != tt.want {
			t.Errorf("Seconds(%v) = %d; want %d", tt.d, got, tt.want)
		}
		if want := fmt.Sprintf("try again in %d seconds", tt.want); !strings.Contains(e.Error(), want) {
			t.Errorf("Error() = %q; want it to contain %q", e.Error(), want)
		}
		if got := carebridge.ErrorCode(e); got != carebridge.ETHROTTLED {
			t.Errorf("ErrorCode(%v) = %q; want %q", e, got, carebridge.ETHROTTLED)
		}
	}
}

// TestPurgeSessions: sessions that expired or were released more than a day
// ago are deleted; younger and live ones stay.
func TestPurgeSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// Sessions are put in the store directly, sparing a password hash each.
	session := func(createdAt time.Time) string {
		t.Helper()
		tok, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		err = e.store.CreateSession(ctx, carebridge.Session{
			TokenHash: auth.HashToken(tok), Audience: carebridge.AudienceCRM, Caller: e.caller,
			CreatedAt: createdAt, ExpiresAt: createdAt.Add(lifetime),
		})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	expired := session(start)                           // ends at start+1h
	released := session(start)                          // released at start+10m
	live := session(start.Add(24*time.Hour + lifetime)) // ends at start+26h
	e.clock.Set(start.Add(10 * time.Minute))
	if err := e.svc.Release(ctx, released); err != nil {
		t.Fatal(err)
	}
	purge := func(at time.Time, want int64) {
		t.Helper()
		e.clock.Set(at)
		n, err := e.svc.PurgeSessions(ctx)
		if err != nil || n != want {
			t.Errorf("PurgeSessions at %v = %d, %v; want %d, nil", at.Sub(start), n, err, want)
		}
	}
	purge(start.Add(10*time.Minute+24*time.Hour), 0)             // released exactly a day ago: kept
	purge(start.Add(10*time.Minute+24*time.Hour+time.Second), 1) // released
	purge(start.Add(lifetime+24*time.Hour), 0)                   // expired exactly a day ago: kept
	purge(start.Add(lifetime+24*time.Hour+time.Second), 1)       // expired
	purge(start.Add(lifetime+24*time.Hour+time.Second), 0)       // gone already
	if got, err := e.svc.Authenticate(ctx, live); err != nil || got != e.caller {
		t.Errorf("live session after purges: Authenticate = %+v, %v; want %+v, nil", got, err, e.caller)
	}
	_, err := e.svc.Authenticate(ctx, expired)
	wantCode(t, "purged session", err, carebridge.EUNAUTHORIZED)
}

// Sessions found valid are cached for the cache's TTL: a busy client's
// requests do not each read the session, a logout here takes effect at
// once, and one through another process (a replica) within the TTL, or at
// once when the replica is told (Forget).
func TestSessionCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	const ttl = time.Second
	e.svc.Sessions = tokencache.New[carebridge.Caller](ttl)
	var released [][]byte
	e.svc.Released = func(_ context.Context, hash []byte) { released = append(released, hash) }
	tok := e.login(t, "192.0.2.1")
	for range 3 {
		if got, err := e.svc.Authenticate(ctx, tok.Value); err != nil || got != e.caller {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
	}
	if n := e.store.sessionLookups.Load(); n != 1 {
		t.Errorf("3 authentications read the session %d times; want 1", n)
	}

	// Another replica on the same database ends the session.
	replica := auth.NewService(e.store, e.clock.Now, lifetime)
	if err := replica.Release(ctx, tok.Value); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(ttl - time.Millisecond))
	if _, err := e.svc.Authenticate(ctx, tok.Value); err != nil {
		t.Fatalf("within the TTL the cached session stands: %v", err)
	}
	e.clock.Set(start.Add(ttl))
	_, err := e.svc.Authenticate(ctx, tok.Value)
	wantCode(t, "Authenticate once the TTL has passed", err, carebridge.EUNAUTHORIZED)

	// A logout through this service is seen at once.
	tok2 := e.login(t, "192.0.2.1")
	if _, err := e.svc.Authenticate(ctx, tok2.Value); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Release(ctx, tok2.Value); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, tok2.Value)
	wantCode(t, "Authenticate right after this service's Release", err, carebridge.EUNAUTHORIZED)
	if len(released) != 1 || !bytes.Equal(released[0], auth.HashToken(tok2.Value)) {
		t.Errorf("Released told of %x; want the hash of the one token released here", released)
	}

	// Told by the replica, this service forgets at once.
	tok3 := e.login(t, "192.0.2.1")
	if _, err := e.svc.Authenticate(ctx, tok3.Value); err != nil {
		t.Fatal(err)
	}
	if err := replica.Release(ctx, tok3.Value); err != nil {
		t.Fatal(err)
	}
	e.svc.Forget(auth.HashToken(tok3.Value))
	_, err = e.svc.Authenticate(ctx, tok3.Value)
	wantCode(t, "Authenticate after Forget", err, carebridge.EUNAUTHORIZED)

	// Unknown tokens are not cached: each is looked up.
	before := e.store.sessionLookups.Load()
	for range 2 {
		_, err := e.svc.Authenticate(ctx, strings.Repeat("B", 32))
		wantCode(t, "unknown token", err, carebridge.EUNAUTHORIZED)
	}
	if n := e.store.sessionLookups.Load() - before; n != 2 {
		t.Errorf("2 unknown tokens were looked up %d times; want 2", n)
	}
}
