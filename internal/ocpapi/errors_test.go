package ocpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"carebridge/internal/host"
	"carebridge/internal/ocp"
	"carebridge/internal/server"
)

// Without a valid bearer token every route answers 401 in the OCP format,
// with a Bearer challenge.
func TestNoValidToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	unknown := strings.Repeat("0", 64)
	last := byte('0')
	if tok[63] == '0' {
		last = '1'
	}
	changed := tok[:63] + string(last)
	for _, path := range allRoutes {
		for _, c := range []struct{ what, authorization string }{
			{"no token", ""},
			{"the document's my_token", "bearer my_token"},
			{"an unknown token", "bearer " + unknown},
			{"a token with a character changed", "bearer " + changed},
			{"the Basic scheme", "Basic " + tok},
			{"no scheme", tok},
			{"an empty bearer", "bearer "},
			{"the token as a query value", ""},
		} {
			p := path
			if c.what == "the token as a query value" {
				p += "?access_token=" + tok
			}
			r := e.request(http.MethodGet, p, c.authorization, "")
			e.wantError(path+" with "+c.what, r, http.StatusUnauthorized)
			if wa := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") {
				t.Fatalf("%s with %s: WWW-Authenticate = %q, want a Bearer challenge", path, c.what, wa)
			}
		}
	}
}

// The configured documentationUrl appears in error bodies.
func TestDocumentationURLIsConfigurable(t *testing.T) {
	t.Parallel()
	const custom = "https://docs.operator.example/ocp?v=1"
	e := setup(t, func(c *server.Config) { c.OCPDocumentationURL = custom })
	r := e.get("/v1/ocp/customers/ids", "")
	e.wantError("no token", r, http.StatusUnauthorized)
	if !bytes.Contains(r.Body, []byte(`"documentationUrl":"https://docs.operator.example/ocp?v=1"`)) {
		t.Fatalf("body %s does not carry the configured URL verbatim", r.Body)
	}
	tok := e.token()
	e.wantError("not permitted", e.get("/v1/ocp/customers/1650", tok), http.StatusUnauthorized, "Not Authorized")
	e.wantError("malformed", e.get("/v1/ocp/customers/abc", tok), http.StatusBadRequest)
	e.wantError("unknown path", e.get("/v1/ocp/nothing", tok), http.StatusNotFound)

	// The default is the document's own link.
	d := setup(t) // d.docURL is documentURL
	d.wantError("no token, default URL", d.get("/v1/ocp/customers/ids", ""), http.StatusUnauthorized)
}

// The scheme is matched without regard to case: the document writes
// "bearer", libraries write "Bearer".
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, scheme := range []string{"bearer", "Bearer", "BEARER", "bEaReR"} {
		r := e.request(http.MethodGet, "/v1/ocp/customers/ids", scheme+" "+tok, "")
		wantJSON(t, "scheme "+scheme, r, golden(t, "ids.json"))
	}
	// The token's hex digits are not case-sensitive either (auth.HashToken:
	// hex case carries no entropy).
	wantJSON(t, "token upper-cased", e.get("/v1/ocp/customers/ids", strings.ToUpper(tok)), golden(t, "ids.json"))
}

func TestExpiredToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	e.clock.Advance(time.Hour - time.Second)
	wantJSON(t, "one second before expiry", e.get("/v1/ocp/customers/1649", tok), golden(t, "customer_1649.json"))
	e.clock.Advance(time.Second)
	for _, path := range allRoutes {
		e.wantError(path+" at expiry", e.get(path, tok), http.StatusUnauthorized)
	}
	e.clock.Advance(24 * time.Hour)
	e.wantError("a day later", e.get("/v1/ocp/customers/ids", tok), http.StatusUnauthorized)
	// A new token works again.
	wantJSON(t, "new token", e.get("/v1/ocp/customers/ids", e.token()), golden(t, "ids.json"))
}

// A customer the application may not read is "Not Authorized" whether or
// not it exists: the answers are byte for byte the same.
func TestNotPermittedLeaksNothing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, route := range customerRoutes {
		exists := e.get(fmt.Sprintf(route, "1650"), tok) // on record, not granted to app 88
		absent := e.get(fmt.Sprintf(route, "99999"), tok)
		e.wantError(fmt.Sprintf(route, "1650"), exists, http.StatusUnauthorized, "Not Authorized")
		e.wantError(fmt.Sprintf(route, "99999"), absent, http.StatusUnauthorized, "Not Authorized")
		if !bytes.Equal(exists.Body, absent.Body) {
			t.Fatalf("%s: an existing customer is told apart from a missing one:\n 1650: %s\n99999: %s", route, exists.Body, absent.Body)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "WWW-Authenticate", "Cache-Control"} {
			if exists.Header.Get(h) != absent.Header.Get(h) {
				t.Fatalf("%s: header %s differs: %q vs %q", route, h, exists.Header.Get(h), absent.Header.Get(h))
			}
		}
	}
	// The customer does exist, as app 88's grant of it shows.
	if err := e.app.OCP.Grant(t.Context(), 88, []int64{1650}); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "1650 once granted", e.get("/v1/ocp/customers/1650", tok), []byte(`{"id":1650,"nsid":33333334,"name":"Globex Kiosk"}`))
}

func TestRevokedGrant(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	wantJSON(t, "before revoke", e.get("/v1/ocp/customers/1649", tok), golden(t, "customer_1649.json"))
	if err := e.app.OCP.Revoke(t.Context(), 88, []int64{1649}); err != nil {
		t.Fatal(err)
	}
	for _, route := range customerRoutes {
		e.wantError(route+" after revoke", e.get(fmt.Sprintf(route, "1649"), tok), http.StatusUnauthorized, "Not Authorized")
	}
	wantJSON(t, "ids after revoke", e.get("/v1/ocp/customers/ids", tok), []byte(`{"appId":88,"ocpCustomerIds":[]}`))
}

func TestMalformedCustomerID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, route := range customerRoutes {
		for _, id := range []string{"abc", "-1", "0", "01649", "1.5", "1649x", "+1649", "1e3", "99999999999999999999", "%201649"} {
			path := fmt.Sprintf(route, id)
			e.wantError(path, e.get(path, tok), http.StatusBadRequest)
		}
	}
	// Malformed is checked after the token: without one it is 401.
	e.wantError("malformed without a token", e.get("/v1/ocp/customers/abc", ""), http.StatusUnauthorized)
}

// A permitted id without a customer record is 404.
func TestPermittedWithoutRecord(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if err := e.app.OCP.Grant(t.Context(), 88, []int64{4242}); err != nil {
		t.Fatal(err)
	}
	tok := e.token()
	for _, route := range customerRoutes {
		path := fmt.Sprintf(route, "4242")
		e.wantError(path, e.get(path, tok), http.StatusNotFound)
	}
	wantJSON(t, "ids", e.get("/v1/ocp/customers/ids", tok), []byte(`{"appId":88,"ocpCustomerIds":[1649,4242]}`))
	// Importing the customer makes it readable.
	err := e.app.OCP.SaveCustomers(t.Context(), []ocp.Profile{{Customer: ocp.Customer{ID: 4242, NSID: 42, Name: "Late Arrival"}}})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "4242 imported", e.get("/v1/ocp/customers/4242", tok), []byte(`{"id":4242,"nsid":42,"name":"Late Arrival"}`))
	wantJSON(t, "4242 level", e.get("/v1/ocp/customers/4242/enrollment_level", tok), []byte(`{"id":4242,"enrollment_level":"None"}`))
}

func TestDeactivatedPlugin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	if _, err := e.app.Host.SetState(ocp.Callsign, host.Deactivated); err != nil {
		t.Fatal(err)
	}
	for _, path := range allRoutes {
		e.wantError(path+" deactivated", e.get(path, tok), http.StatusServiceUnavailable)
	}
	e.wantError("customer route without a token, deactivated", e.get("/v1/ocp/customers/ids", ""), http.StatusServiceUnavailable)
	r := e.postToken(clientForm(demoClientID, demoSecret), nil)
	e.wantError("token endpoint deactivated", r, http.StatusServiceUnavailable)
	if got := r.Header.Get("Pragma"); got != "no-cache" {
		t.Errorf("token endpoint deactivated: Pragma %q, want no-cache as on its every answer", got)
	}

	if _, err := e.app.Host.SetState(ocp.Callsign, host.Activated); err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		wantJSON(t, g.path+" activated again", e.get(g.path, tok), golden(t, g.file))
	}
	wantJSON(t, "ids with a new token", e.get("/v1/ocp/customers/ids", e.token()), golden(t, "ids.json"))
}

func TestWrongMethod(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, path := range allRoutes {
		for _, m := range []string{http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch} {
			r := e.request(m, path, "bearer "+tok, "")
			e.wantError(m+" "+path, r, http.StatusMethodNotAllowed)
			if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") {
				t.Fatalf("%s %s: Allow = %q, want GET", m, path, allow)
			}
		}
	}
	// Nothing was changed by the refused calls.
	wantJSON(t, "1649 after", e.get("/v1/ocp/customers/1649", tok), golden(t, "customer_1649.json"))
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token()
	for _, path := range []string{
		"/v1/",
		"/v1/ocp",
		"/v1/ocp/",
		"/v1/ocp/nothing",
		"/v1/ocp/customers",
		"/v1/ocp/customers/",
		"/v1/ocp/customers/1649/devices",
		"/v1/ocp/customers/1649/customer_profile/extra",
		"/v1/oauth/authorize",
		"/v1/other",
	} {
		e.wantError(path, e.get(path, tok), http.StatusNotFound)
	}
}

func TestIDsSortedAscending(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if err := e.app.OCP.Grant(t.Context(), 88, []int64{5000, 12, 1649}); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, "ids", e.get("/v1/ocp/customers/ids", e.token()), []byte(`{"appId":88,"ocpCustomerIds":[12,1649,5000]}`))
}

// A token of one application never reads another's customers.
func TestApplicationsAreIsolated(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, _, err := e.app.OCP.NewApplication(t.Context(), 90, "other", "other-secret", []int64{1650}); err != nil {
		t.Fatal(err)
	}
	tok88, tok90 := e.token(), e.tokenFor("app-90", "other-secret")

	wantJSON(t, "ids of 90", e.get("/v1/ocp/customers/ids", tok90), []byte(`{"appId":90,"ocpCustomerIds":[1650]}`))
	wantJSON(t, "1650 by 90", e.get("/v1/ocp/customers/1650", tok90), []byte(`{"id":1650,"nsid":33333334,"name":"Globex Kiosk"}`))
	for _, route := range customerRoutes {
		e.wantError("1649 by 90", e.get(fmt.Sprintf(route, "1649"), tok90), http.StatusUnauthorized, "Not Authorized")
		e.wantError("1650 by 88", e.get(fmt.Sprintf(route, "1650"), tok88), http.StatusUnauthorized, "Not Authorized")
	}
	wantJSON(t, "ids of 88", e.get("/v1/ocp/customers/ids", tok88), golden(t, "ids.json"))

	// The other application's secret is not app 88's.
	wantOAuthError(t, "app-88 with app-90's secret", e.postToken(clientForm(demoClientID, "other-secret"), nil), http.StatusUnauthorized, "invalid_client")
}
