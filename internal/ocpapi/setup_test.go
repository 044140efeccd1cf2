package ocpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge/internal/apitest"
	"carebridge/internal/ocpapi"
	"carebridge/internal/server"
	"carebridge/internal/testserver"
)

// start is the server's clock at the beginning of every test.
var start = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)

// documentURL is the documentationUrl of the OCP document's error example.
const documentURL = "https://github.com/grantvictor/Partner-API-V1-Documentation/wiki"

// The demo application (the README's Trying it section).
const (
	demoClientID = "app-88"
	demoSecret   = "demo-secret"
)

// env is a real server on a real SQLite file, loaded with the demo data.
type env struct {
	t      *testing.T
	url    string // the server's root, without a trailing slash
	app    *server.Server
	clock  *testserver.Clock
	docURL string       // the documentationUrl error bodies must carry
	client *http.Client // checks every exchange against docs/openapi.json
}

// setup starts a server; change, when given, adjusts its configuration.
func setup(t *testing.T, change ...func(*server.Config)) *env {
	t.Helper()
	clk := testserver.NewClock(start)
	s := testserver.Start(t, server.Config{Now: clk.Now, OCPTokenLifetime: time.Hour}, change...)
	s.LoadDemo(t, start)
	docURL := s.Config.OCPDocumentationURL
	if docURL == "" {
		docURL = documentURL
	}
	return &env{t: t, url: s.HTTP.URL, app: s.App, clock: clk, docURL: docURL, client: apitest.Client(t)}
}

// response is an answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// request sends method on path with an Authorization header (none when
// empty) and a body (none when empty).
func (e *env) request(method, path, authorization, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return e.do(req)
}

// get sends GET path with a bearer token (no Authorization when empty).
func (e *env) get(path, token string) response {
	e.t.Helper()
	auth := ""
	if token != "" {
		auth = "bearer " + token
	}
	return e.request(http.MethodGet, path, auth, "")
}

// postToken sends a token request: form as the body, and HTTP Basic when
// basic is non-nil ([id, secret], sent as given).
func (e *env) postToken(form url.Values, basic []string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/v1/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return e.do(req)
}

var accessTokenRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// tokenFor obtains an access token with the form-field client
// authentication.
func (e *env) tokenFor(clientID, secret string) string {
	e.t.Helper()
	r := e.postToken(url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("token for %s: HTTP %d %s", clientID, r.Status, r.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.Body, &tok); err != nil || !accessTokenRE.MatchString(tok.AccessToken) {
		e.t.Fatalf("token answer %s: %v", r.Body, err)
	}
	return tok.AccessToken
}

// token obtains an access token of the demo application.
func (e *env) token() string { e.t.Helper(); return e.tokenFor(demoClientID, demoSecret) }

// wantJSON fails unless the answer is 200 JSON equal, as a JSON value, to want.
func wantJSON(t *testing.T, what string, r response, want []byte) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s: HTTP %d %s, want 200", what, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type = %q, want application/json", what, ct)
	}
	jsonEqual(t, what, r.Body, want)
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: answer is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: expectation is not JSON: %v\n%s", what, err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("%s: JSON differs\n got: %s\nwant: %s", what, gb, wb)
	}
}

// wantError fails unless the answer is an OCP error: the status, JSON
// exactly {"message", "documentationUrl"} with the configured URL, and a
// message containing each of words. It returns the message.
func (e *env) wantError(what string, r response, status int, words ...string) string {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("%s: HTTP %d %s, want %d", what, r.Status, r.Body, status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("%s: Content-Type = %q, want application/json", what, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		e.t.Fatalf("%s: error body is not a JSON object: %v\n%s", what, err, r.Body)
	}
	msg, _ := body["message"].(string)
	doc, _ := body["documentationUrl"].(string)
	if len(body) != 2 || msg == "" || doc != e.docURL {
		e.t.Fatalf("%s: error body %s, want exactly {message, documentationUrl: %q}", what, r.Body, e.docURL)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			e.t.Fatalf("%s: message %q does not contain %q", what, msg, w)
		}
	}
	return msg
}

// oauthError is an RFC 6749 §5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// wantOAuthError fails unless the answer is an RFC 6749 error with the
// status and code.
func wantOAuthError(t *testing.T, what string, r response, status int, code string) oauthError {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: HTTP %d %s, want %d", what, r.Status, r.Body, status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type = %q, want application/json", what, ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("%s: Cache-Control = %q, want no-store", what, cc)
	}
	var oe oauthError
	if err := json.Unmarshal(r.Body, &oe); err != nil {
		t.Fatalf("%s: error body is not JSON: %v\n%s", what, err, r.Body)
	}
	if oe.Error != code {
		t.Fatalf("%s: error = %q (%s), want %q", what, oe.Error, r.Body, code)
	}
	return oe
}

// customerRoutes are the routes naming a customer, with %s for its id.
var customerRoutes = []string{
	"/v1/ocp/customers/%s",
	"/v1/ocp/customers/%s/enrollment_level",
	"/v1/ocp/customers/%s/customer_profile",
}

// allRoutes are every bearer-protected route, for customer 1649.
var allRoutes = []string{
	"/v1/ocp/customers/enrollment_levels",
	"/v1/ocp/customers/ids",
	"/v1/ocp/customers/1649",
	"/v1/ocp/customers/1649/enrollment_level",
	"/v1/ocp/customers/1649/customer_profile",
}

func TestDefaultDocumentationURLIsTheDocuments(t *testing.T) {
	t.Parallel()
	if ocpapi.DefaultDocumentationURL != documentURL {
		t.Fatalf("DefaultDocumentationURL = %q, want the OCP document's %q", ocpapi.DefaultDocumentationURL, documentURL)
	}
}
