package ocpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Failed token requests are throttled per client id: the 11th attempt in a
// window is refused with 429 before the secret is checked, so a flood
// cannot keep the password hashing busy; the right secret is refused too
// until the window ends.
func TestTokenRequestsAreThrottled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	bad := url.Values{"grant_type": {"client_credentials"}, "client_id": {demoClientID}, "client_secret": {"wrong"}}
	for i := 0; i < 10; i++ {
		wantOAuthError(t, "bad secret", e.postToken(bad, nil), http.StatusUnauthorized, "invalid_client")
	}
	r := e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {demoClientID}, "client_secret": {demoSecret}}, nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: HTTP %d Retry-After %q %s; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	// Another client from the same address is not locked by this one.
	if _, _, err := e.app.OCP.NewApplication(t.Context(), 91, "other", "other-secret", nil); err != nil {
		t.Fatal(err)
	}
	e.tokenFor("app-91", "other-secret")
}

// A client that tried the Authorization header and failed gets 401
// invalid_client with a challenge, even when the form carries credentials.
func TestTokenMalformedAuthorization(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, authz := range []string{"Basic !!!", "Bearer abc", "Basic"} {
		req, err := http.NewRequest(http.MethodPost, e.url+"/v1/oauth/token", strings.NewReader(url.Values{
			"grant_type": {"client_credentials"}, "client_id": {demoClientID}, "client_secret": {demoSecret},
		}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", authz)
		r := e.do(req)
		wantOAuthError(t, authz, r, http.StatusUnauthorized, "invalid_client")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate %q", authz, r.Header.Get("WWW-Authenticate"))
		}
	}
	// Form credentials alone fail with a challenge too (RFC 9110: every 401).
	r := e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {demoClientID}, "client_secret": {"nope"}}, nil)
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 invalid_client without a challenge")
	}
}

// Every 401 of the customer routes carries a Bearer challenge; a presented
// token that is not valid says invalid_token (RFC 6750 §3.1); a customer
// not granted gets the same challenge whether or not it exists.
func TestBearerChallenges(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if got := e.get("/v1/ocp/customers/ids", "").Header.Get("WWW-Authenticate"); got != `Bearer realm="carebridge"` {
		t.Errorf("no token: WWW-Authenticate %q", got)
	}
	if got := e.get("/v1/ocp/customers/ids", strings.Repeat("a", 64)).Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("bad token: WWW-Authenticate %q", got)
	}
	tok := e.token()
	exists, absent := e.get("/v1/ocp/customers/1650", tok), e.get("/v1/ocp/customers/99999", tok)
	if exists.Status != http.StatusUnauthorized || exists.Header.Get("WWW-Authenticate") == "" ||
		exists.Header.Get("WWW-Authenticate") != absent.Header.Get("WWW-Authenticate") || string(exists.Body) != string(absent.Body) {
		t.Errorf("not granted: %d %q %s vs %q %s", exists.Status, exists.Header.Get("WWW-Authenticate"), exists.Body, absent.Header.Get("WWW-Authenticate"), absent.Body)
	}
}
