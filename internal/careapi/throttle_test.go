package careapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
)

// The throttle limits of the login service: failures of one username and
// of one address in a window.
const (
	userFailures    = 5
	addressFailures = 20
	window          = 15 * time.Minute
)

// wantThrottled fails unless r is the care face's 429 with Retry-After of
// wait.
func wantThrottled(t *testing.T, what string, r response, wait time.Duration) {
	t.Helper()
	secs := strconv.Itoa(int(wait / time.Second))
	wantError(t, what, r, http.StatusTooManyRequests, "throttled", secs+" seconds")
	if got := r.Header.Get("Retry-After"); got != secs {
		t.Fatalf("%s: Retry-After = %q, want %s", what, got, secs)
	}
}

// After five failed logins of a username, the next is refused however
// right its password, here and at the CRM.COM face, until the window
// ends; another user is not held up.
func TestThrottledAfterFailedLogins(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		e.addUser("sam", carebridge.RoleSupervisor, e.op)
		for i := range userFailures {
			wantError(t, "failure "+strconv.Itoa(i+1), e.login("agent", "guess"+strconv.Itoa(i)), http.StatusUnauthorized, "invalid_credentials")
		}
		wantThrottled(t, "the right password after five failures", e.login("agent", "agent"), window)
		if r := e.crmLogin(demo.Organisation, "agent", "agent"); r.Status != http.StatusTooManyRequests || r.Code != "TOO_MANY_REQUESTS" || r.Header.Get("Retry-After") != "900" {
			t.Fatalf("the CRM.COM face for the same username: HTTP %d, Retry-After %q, %s; want 429 after 900 seconds", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		wantSession(t, e.login("sam", "sam"))
		e.clock.Advance(5 * time.Minute)
		wantThrottled(t, "five minutes later", e.login("agent", "agent"), window-5*time.Minute)
		e.clock.Advance(window - 5*time.Minute)
		wantSession(t, e.login("agent", "agent"))
	})
}

// Failed logins count at both faces alike: those at the CRM.COM face
// lock a care agent out of the care login, and those here lock an api
// user out of the CRM.COM login.
func TestThrottleSharedWithCRM(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		for i := range userFailures {
			if r := e.crmLogin(demo.Organisation, "agent", "guess"+strconv.Itoa(i)); r.Status != http.StatusUnauthorized || r.Code != "INVALID_CREDENTIALS" {
				t.Fatalf("CRM.COM failure %d: HTTP %d %s", i+1, r.Status, r.Body)
			}
		}
		e.clock.Advance(time.Minute)
		wantThrottled(t, "the care login after five CRM.COM failures", e.login("agent", "agent"), window-time.Minute)

		for i := range userFailures {
			wantError(t, "care failure "+strconv.Itoa(i+1), e.login(demo.Username, "guess"+strconv.Itoa(i)), http.StatusUnauthorized, "invalid_credentials")
		}
		if r := e.crmLogin(demo.Organisation, demo.Username, demo.Password); r.Status != http.StatusTooManyRequests || r.Code != "TOO_MANY_REQUESTS" || r.Header.Get("Retry-After") != "900" {
			t.Fatalf("the CRM.COM login after five care failures: HTTP %d, Retry-After %q, %s; want 429 after 900 seconds", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		e.clock.Advance(window)
		wantSession(t, e.login("agent", "agent"))
		e.crmToken()
	})
}

// Twenty failures from one address, at either face, refuse its next
// login, of any user.
func TestThrottlePerAddress(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("sam", carebridge.RoleSupervisor, e.op)
		for i := range addressFailures {
			user := "nobody" + strconv.Itoa(i)
			if i%2 == 0 {
				if r := e.crmLogin(demo.Organisation, user, user); r.Status != http.StatusUnauthorized {
					t.Fatalf("CRM.COM failure %d: HTTP %d %s", i+1, r.Status, r.Body)
				}
				continue
			}
			wantError(t, "care failure "+strconv.Itoa(i+1), e.login(user, user), http.StatusUnauthorized, "invalid_credentials")
		}
		wantThrottled(t, "a user's first login from the address", e.login("sam", "sam"), window)
		e.clock.Advance(window)
		wantSession(t, e.login("sam", "sam"))
	})
}
