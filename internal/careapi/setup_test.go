package careapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/apitest"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// start is the server's clock when every test begins.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// lifetime is the care sessions' lifetime of the servers under test: not
// the default, so that expires_on is seen to follow the configuration.
const lifetime = 90 * time.Minute

// challenge is the care face's WWW-Authenticate.
const challenge = `Bearer realm="carebridge care"`

var tokenRE = regexp.MustCompile(`^[0-9A-F]{32}$`)

// onEngines runs f on a server of its own for each engine, side by side.
func onEngines(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, db string) { f(t, setup(t, db)) })
}

// env is a real server on a real database, loaded with the demo data.
type env struct {
	t      *testing.T
	url    string // the server's root, without a trailing slash
	app    *server.Server
	stores *server.Stores
	clock  *testserver.Clock
	org    carebridge.Organisation // the demo's
	op     carebridge.Operator     // the demo's
	client *http.Client            // checks every exchange against docs/openapi.json
}

func setup(t *testing.T, db string) *env {
	t.Helper()
	clk := testserver.NewClock(start)
	s := testserver.NewOn(t, db, server.Config{Now: clk.Now, CareSessionLifetime: lifetime})
	s.Serve(t)
	op := s.LoadDemo(t, start)
	org, err := s.Stores.Tenancy.OrganisationByName(context.Background(), demo.Organisation)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, url: s.HTTP.URL, app: s.App, stores: s.Stores, clock: clk, org: org, op: op, client: apitest.Client(t)}
}

// addUser creates a user of the demo organisation whose password is its
// name, working for op, and returns it. The demo's care agent ("agent")
// is created only when the demo data does not hold it.
func (e *env) addUser(name string, role carebridge.Role, op carebridge.Operator) carebridge.User {
	e.t.Helper()
	ctx := context.Background()
	if u, err := e.stores.Tenancy.UserByName(ctx, e.org.ID, name); err == nil && name == "agent" {
		return u
	}
	hash, err := auth.HashPassword(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: e.org.ID, OperatorID: op.ID,
		Username: name, PasswordHash: hash, Role: role, CreatedAt: start})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// addOperator creates an operator of the demo organisation.
func (e *env) addOperator(name string) carebridge.Operator {
	e.t.Helper()
	op, err := e.stores.Tenancy.CreateOperator(context.Background(), carebridge.Operator{OrganisationID: e.org.ID, Name: name, CreatedAt: start})
	if err != nil {
		e.t.Fatal(err)
	}
	return op
}

// response is an answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// send sends method on path with the headers given in pairs and a body
// (none when nil).
func (e *env) send(method, path string, body io.Reader, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: got}
}

// loginBody is a login's JSON body.
func loginBody(org, user, password string) string {
	b, _ := json.Marshal(map[string]string{"organisation": org, "username": user, "password": password})
	return string(b)
}

// login posts a login of the demo organisation.
func (e *env) login(user, password string) response {
	e.t.Helper()
	return e.send(http.MethodPost, "/care/login", strings.NewReader(loginBody(demo.Organisation, user, password)), "Content-Type", "application/json")
}

// session is a care login's answer.
type session struct {
	Token        string `json:"token"`
	ExpiresOn    string `json:"expires_on"`
	Role         string `json:"role"`
	Organisation string `json:"organisation"`
	Operator     string `json:"operator"`
}

// token logs a user of the demo organisation in, whose password is its
// name, and returns the session's token.
func (e *env) token(user string) string {
	e.t.Helper()
	return wantSession(e.t, e.login(user, user)).Token
}

// wantSession fails unless r is a login's 200 answer, with exactly the
// session's members, and returns it.
func wantSession(t *testing.T, r response) session {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("login: HTTP %d %s, want 200", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("login: Content-Type = %q, want application/json", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("login: Cache-Control = %q, want no-store", cc)
	}
	var members map[string]any
	if err := json.Unmarshal(r.Body, &members); err != nil || len(members) != 5 {
		t.Fatalf("login: answer %s (%v), want the five members of a session", r.Body, err)
	}
	var s session
	if err := json.Unmarshal(r.Body, &s); err != nil {
		t.Fatal(err)
	}
	if !tokenRE.MatchString(s.Token) {
		t.Fatalf("login: token %q is not 32 upper-case hexadecimal characters", s.Token)
	}
	return s
}

// logout posts a logout with the Authorization header given (none when "").
func (e *env) logout(authorization string) response {
	e.t.Helper()
	if authorization == "" {
		return e.send(http.MethodPost, "/care/logout", nil)
	}
	return e.send(http.MethodPost, "/care/logout", nil, "Authorization", authorization)
}

// wantError fails unless r is the care face's error: the status, JSON
// exactly {code, message} with the code, a message containing each of
// words, no caching, and the headers its status calls for. It returns the
// message.
func wantError(t *testing.T, what string, r response, status int, code string, words ...string) string {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: HTTP %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type = %q, want application/json", what, ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("%s: Cache-Control = %q, want no-store", what, cc)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%s: error body is not a JSON object: %v\n%s", what, err, r.Body)
	}
	msg, _ := body["message"].(string)
	if len(body) != 2 || body["code"] != code || msg == "" {
		t.Fatalf("%s: error body %s, want exactly {code: %q, message}", what, r.Body, code)
	}
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Fatalf("%s: message %q does not contain %q", what, msg, w)
		}
	}
	wantHeader := map[int]string{http.StatusUnauthorized: "WWW-Authenticate", http.StatusMethodNotAllowed: "Allow", http.StatusTooManyRequests: "Retry-After"}
	for s, h := range wantHeader {
		if got := r.Header.Get(h); (s == status) != (got != "") {
			t.Fatalf("%s: HTTP %d with %s %q", what, status, h, got)
		}
	}
	if status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != challenge {
		t.Fatalf("%s: WWW-Authenticate = %q, want %q", what, r.Header.Get("WWW-Authenticate"), challenge)
	}
	return msg
}

// plane calls Controller.1.status on the JSON-RPC plane with token as the
// bearer credential and returns the HTTP status; a 200 must carry the
// call's result.
func (e *env) plane(token string) int {
	e.t.Helper()
	r := e.send(http.MethodPost, "/jsonrpc", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`),
		"Authorization", "Bearer "+token, "Content-Type", "application/json")
	if r.Status == http.StatusOK {
		var answer struct {
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(r.Body, &answer); err != nil || answer.Result == nil || answer.Error != nil {
			e.t.Fatalf("Controller.1.status: %s (%v), want a result", r.Body, err)
		}
	}
	return r.Status
}

// crm is an answer of the CRM.COM face: its envelope's status code.
type crm struct {
	response
	Code string
}

func (e *env) crmDecode(r response) crm {
	e.t.Helper()
	var env struct {
		Status struct {
			Code string `json:"code"`
		} `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil {
		e.t.Fatalf("CRM.COM answer is not an envelope: %v\n%s", err, r.Body)
	}
	return crm{r, env.Status.Code}
}

// crmLogin logs in at the CRM.COM face.
func (e *env) crmLogin(org, user, password string) crm {
	e.t.Helper()
	return e.crmDecode(e.send(http.MethodPost, "/crmapi/rest/v2/authentication/token",
		strings.NewReader(loginBody(org, user, password)), "Content-Type", "application/json"))
}

// crmToken logs the demo's api user in at the CRM.COM face.
func (e *env) crmToken() string {
	e.t.Helper()
	r := e.crmLogin(demo.Organisation, demo.Username, demo.Password)
	var answer struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	json.Unmarshal(r.Body, &answer)
	if r.Status != http.StatusOK || !tokenRE.MatchString(answer.Data.Token) {
		e.t.Fatalf("CRM.COM login: HTTP %d %s", r.Status, r.Body)
	}
	return answer.Data.Token
}

// crmPromotions lists the promotions at the CRM.COM face with token.
func (e *env) crmPromotions(token string) crm {
	e.t.Helper()
	return e.crmDecode(e.send(http.MethodGet, "/crmapi/rest/v2/netflix/promotions/list?token="+token, nil))
}
