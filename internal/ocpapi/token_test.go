package ocpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"carebridge/internal/server"
)

// clientForm is a complete client-credentials request with form-field
// client authentication.
func clientForm(id, secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
}

func TestTokenSuccess(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, send := range map[string]func() response{
		"form": func() response { return e.postToken(clientForm(demoClientID, demoSecret), nil) },
		"basic": func() response {
			return e.postToken(url.Values{"grant_type": {"client_credentials"}}, []string{demoClientID, demoSecret})
		},
		// RFC 6749 §4.4 lets client_id accompany Basic when it names the same client.
		"basic with the same client_id": func() response {
			return e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {demoClientID}}, []string{demoClientID, demoSecret})
		},
	} {
		r := send()
		if r.Status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", name, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type = %q", name, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("%s: Cache-Control = %q, want no-store (RFC 6749 §5.1)", name, cc)
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, r.Body)
		}
		tok, _ := body["access_token"].(string)
		if !accessTokenRE.MatchString(tok) {
			t.Fatalf("%s: access_token %q is not 64 lower-case hex characters", name, tok)
		}
		if body["token_type"] != "bearer" || body["expires_in"] != float64(3600) || len(body) != 3 {
			t.Fatalf("%s: token answer %s, want access_token, token_type bearer, expires_in 3600", name, r.Body)
		}
		wantJSON(t, name+": ids with the token", e.get("/v1/ocp/customers/ids", tok), golden(t, "ids.json"))
	}
}

// Every token is new.
func TestTokensAreDistinct(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.token(), e.token()
	if a == b {
		t.Fatalf("two token requests got the same token %s", a)
	}
	for _, tok := range []string{a, b} {
		if r := e.get("/v1/ocp/customers/ids", tok); r.Status != http.StatusOK {
			t.Fatalf("token %s: HTTP %d", tok, r.Status)
		}
	}
}

// The lifetime is OCPTokenLifetime: announced in expires_in and enforced.
func TestTokenLifetimeIsConfigured(t *testing.T) {
	t.Parallel()
	e := setup(t, func(c *server.Config) { c.OCPTokenLifetime = 15 * time.Minute })
	r := e.postToken(clientForm(demoClientID, demoSecret), nil)
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.ExpiresIn != 900 {
		t.Fatalf("expires_in = %d (%v), want 900 (OCPTokenLifetime 15m)", body.ExpiresIn, err)
	}
	e.clock.Advance(15*time.Minute - time.Second)
	wantJSON(t, "ids just before expiry", e.get("/v1/ocp/customers/ids", body.AccessToken), golden(t, "ids.json"))
	e.clock.Advance(time.Second)
	e.wantError("ids at expiry", e.get("/v1/ocp/customers/ids", body.AccessToken), http.StatusUnauthorized)
}

func TestTokenRequestErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	grant := url.Values{"grant_type": {"client_credentials"}}

	wantOAuthError(t, "missing grant_type",
		e.postToken(url.Values{"client_id": {demoClientID}, "client_secret": {demoSecret}}, nil), http.StatusBadRequest, "invalid_request")
	wantOAuthError(t, "missing grant_type with Basic",
		e.postToken(url.Values{}, []string{demoClientID, demoSecret}), http.StatusBadRequest, "invalid_request")

	pw := clientForm(demoClientID, demoSecret)
	pw.Set("grant_type", "password")
	wantOAuthError(t, "grant_type=password", e.postToken(pw, nil), http.StatusBadRequest, "unsupported_grant_type")

	noAuth := wantOAuthError(t, "no client authentication", e.postToken(grant, nil), http.StatusUnauthorized, "invalid_client")
	if noAuth.Description == "" {
		t.Error("no client authentication: no error_description")
	}
	wantOAuthError(t, "client_id without a secret", e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {demoClientID}}, nil),
		http.StatusUnauthorized, "invalid_client")

	both := clientForm(demoClientID, demoSecret)
	wantOAuthError(t, "Basic and client_secret", e.postToken(both, []string{demoClientID, demoSecret}), http.StatusBadRequest, "invalid_request")
	other := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app-89"}}
	wantOAuthError(t, "Basic and another client_id", e.postToken(other, []string{demoClientID, demoSecret}), http.StatusBadRequest, "invalid_request")

	twice := clientForm(demoClientID, demoSecret)
	twice.Add("grant_type", "client_credentials")
	wantOAuthError(t, "grant_type twice", e.postToken(twice, nil), http.StatusBadRequest, "invalid_request")

	// A JSON body is not a token request (RFC 6749 §4.4.2: form-encoded).
	req, err := http.NewRequest(http.MethodPost, e.url+"/v1/oauth/token",
		strings.NewReader(`{"grant_type":"client_credentials","client_id":"app-88","client_secret":"demo-secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	wantOAuthError(t, "JSON body", e.do(req), http.StatusBadRequest, "invalid_request")

	// Nor is a form in the query string.
	q := e.request(http.MethodPost, "/v1/oauth/token?"+clientForm(demoClientID, demoSecret).Encode(), "", "")
	if q.Status == http.StatusOK {
		t.Fatalf("a token was issued for credentials in the URL: %s", q.Body)
	}
}

// Basic is the only place a 401 names a scheme: the client used it.
func TestTokenWrongSecret(t *testing.T) {
	t.Parallel()
	e := setup(t)
	grant := url.Values{"grant_type": {"client_credentials"}}

	basic := e.postToken(grant, []string{demoClientID, "wrong"})
	wantOAuthError(t, "wrong secret by Basic", basic, http.StatusUnauthorized, "invalid_client")
	if wa := basic.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Basic") {
		t.Fatalf("wrong secret by Basic: WWW-Authenticate = %q, want a Basic challenge (RFC 6749 §5.2)", wa)
	}

	wrong := e.postToken(clientForm(demoClientID, "wrong"), nil)
	wantOAuthError(t, "wrong secret by form", wrong, http.StatusUnauthorized, "invalid_client")
	unknown := e.postToken(clientForm("app-404", "wrong"), nil)
	wantOAuthError(t, "unknown client by form", unknown, http.StatusUnauthorized, "invalid_client")
	if !bytes.Equal(wrong.Body, unknown.Body) {
		t.Fatalf("an unknown client is told apart from a wrong secret:\n wrong secret: %s\nunknown client: %s", wrong.Body, unknown.Body)
	}
	unknownBasic := e.postToken(grant, []string{"app-404", "wrong"})
	wantOAuthError(t, "unknown client by Basic", unknownBasic, http.StatusUnauthorized, "invalid_client")
	if !bytes.Equal(basic.Body, unknownBasic.Body) {
		t.Fatalf("by Basic, an unknown client is told apart from a wrong secret:\n wrong secret: %s\nunknown client: %s", basic.Body, unknownBasic.Body)
	}

	// The secret is exact.
	for _, s := range []string{"Demo-secret", "demo-secret ", "demo-secre", "demo-secrets"} {
		wantOAuthError(t, "secret "+s, e.postToken(clientForm(demoClientID, s), nil), http.StatusUnauthorized, "invalid_client")
	}
}

func TestTokenEndpointMethods(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := e.request(m, "/v1/oauth/token", "", "")
		e.wantError(m+" /v1/oauth/token", r, http.StatusMethodNotAllowed)
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Fatalf("%s /v1/oauth/token: Allow = %q, want POST", m, allow)
		}
	}
}
