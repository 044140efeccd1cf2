package careapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/demo"
)

// A logout ends the session of its bearer token and that one only: the
// plane refuses the token from then on, and a second logout is refused.
func TestLogout(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		tok, other := e.token("agent"), e.token("agent")
		if got := e.plane(tok); got != http.StatusOK {
			t.Fatalf("before the logout: the plane answers HTTP %d, want 200", got)
		}
		r := e.logout("Bearer " + tok)
		if r.Status != http.StatusNoContent || len(r.Body) != 0 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("logout: HTTP %d, Cache-Control %q, body %q; want 204, no-store, no body", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		if got := e.plane(tok); got != http.StatusUnauthorized {
			t.Fatalf("after the logout: the plane answers HTTP %d, want 401", got)
		}
		if _, err := e.app.Care.Session(context.Background(), tok); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
			t.Fatalf("after the logout: the care audience finds the session (err = %v)", err)
		}
		wantError(t, "a second logout", e.logout("Bearer "+tok), http.StatusUnauthorized, "invalid_token", "log in again")
		if got := e.plane(other); got != http.StatusOK {
			t.Fatalf("the agent's other session: the plane answers HTTP %d, want 200", got)
		}
		// The scheme is read in any case.
		if r := e.logout("bearer " + other); r.Status != http.StatusNoContent {
			t.Fatalf("logout with the scheme in lower case: HTTP %d %s", r.Status, r.Body)
		}
		if got := e.plane(other); got != http.StatusUnauthorized {
			t.Fatalf("after its logout: the plane answers HTTP %d, want 401", got)
		}
	})
}

// What is not a live care session's token is refused alike, a CRM.COM
// session's included, and the CRM.COM session is left as it was.
func TestLogoutRefused(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		dora := e.addUser("dora", carebridge.RoleCare, e.op)
		sam := e.addUser("sam", carebridge.RoleSupervisor, e.op)
		crmToken := e.crmToken()
		ended := e.token("agent")
		if r := e.logout("Bearer " + ended); r.Status != http.StatusNoContent {
			t.Fatalf("logout: HTTP %d %s", r.Status, r.Body)
		}
		disabled := e.token("dora")
		if err := e.stores.Tenancy.DisableUser(context.Background(), dora.ID, start); err != nil {
			t.Fatal(err)
		}
		demoted := e.token("sam")
		if err := e.stores.Tenancy.SetUserRole(context.Background(), sam.ID, carebridge.RoleAPI, start, carebridge.AudiencesRefusing(carebridge.RoleAPI)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ what, authorization string }{
			{"no Authorization", ""},
			{"Bearer without a token", "Bearer"},
			{"Bearer and a space", "Bearer "},
			{"Basic", "Basic YWdlbnQ6YWdlbnQ="},
			{"a token of another form", "Bearer not-a-token"},
			{"an unknown token", "Bearer 0123456789ABCDEF0123456789ABCDEF"},
			{"the demo's admin token", "Bearer " + demo.AdminToken},
			{"a CRM.COM session's token", "Bearer " + crmToken},
			{"a session logged out", "Bearer " + ended},
			{"a disabled user's session", "Bearer " + disabled},
			{"the session of a user now of role api", "Bearer " + demoted},
		} {
			wantError(t, c.what, e.logout(c.authorization), http.StatusUnauthorized, "invalid_token")
		}
		if r := e.crmPromotions(crmToken); r.Status != http.StatusOK || r.Code != "OK" {
			t.Fatalf("the CRM.COM session after a care logout with its token: HTTP %d %s", r.Status, r.Body)
		}
		for what, tok := range map[string]string{"a disabled user's session": disabled, "the session of a user now of role api": demoted} {
			if got := e.plane(tok); got != http.StatusUnauthorized {
				t.Errorf("%s: the plane answers HTTP %d, want 401", what, got)
			}
		}
	})
}

// The CRM.COM face refuses a care session's token, to use it and to
// release it, and the care session lives on.
func TestCareTokenRefusedByCRM(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		tok := e.token("agent")
		if r := e.crmPromotions(tok); r.Status != http.StatusUnauthorized || r.Code != "INVALID_TOKEN" {
			t.Fatalf("promotions/list?token=<care token>: HTTP %d %s, want 401 INVALID_TOKEN", r.Status, r.Body)
		}
		r := e.crmDecode(e.send(http.MethodGet, "/crmapi/rest/v2/netflix/promotions/list", nil, "Authorization", "Bearer "+tok))
		if r.Status != http.StatusUnauthorized || r.Code != "INVALID_TOKEN" {
			t.Fatalf("promotions/list with the care token as Bearer: HTTP %d %s, want 401 INVALID_TOKEN", r.Status, r.Body)
		}
		r = e.crmDecode(e.send(http.MethodPost, "/crmapi/rest/v2/authentication/token/release",
			strings.NewReader(`{"token":"`+tok+`"}`), "Content-Type", "application/json"))
		if r.Status != http.StatusUnauthorized || r.Code != "INVALID_TOKEN" {
			t.Fatalf("authentication/token/release of the care token: HTTP %d %s, want 401 INVALID_TOKEN", r.Status, r.Body)
		}
		if got := e.plane(tok); got != http.StatusOK {
			t.Fatalf("the care session after the CRM.COM face refused it: the plane answers HTTP %d, want 200", got)
		}
	})
}
