package crmapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/apitest"
	"carebridge/internal/auth"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// docTime is when the CRM.COM document's create example ran: its token
// expires at 2017-02-01T18:13:34 with a validity of 100 seconds.
var docTime = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)

// env is a real server on a real database (a SQLite file unless the test
// asks for another), loaded with the demo data, and a demo user logged in.
type env struct {
	t      *testing.T
	db     string // a SQLite path or a PostgreSQL URL
	url    string
	app    *server.Server
	stores *server.Stores
	clock  *testserver.Clock
	token  string
	client *http.Client // checks every exchange against docs/openapi.json
}

func setup(t *testing.T) *env {
	t.Helper()
	return setupOn(t, testdb.SQLitePath(t))
}

// setupOn is setup on the database db names.
func setupOn(t *testing.T, db string) *env {
	t.Helper()
	clk := testserver.NewClock(docTime)
	s := testserver.NewOn(t, db, server.Config{Now: clk.Now})
	s.Serve(t)
	s.LoadDemo(t, docTime)
	e := &env{t: t, db: db, url: s.HTTP.URL + "/crmapi/rest/v2/", app: s.App, stores: s.Stores, clock: clk, client: apitest.Client(t)}
	e.token = e.login("demo", "demo", "demo")
	return e
}

// reply is a decoded envelope.
type reply struct {
	HTTP   int
	Header http.Header
	Raw    []byte
	Data   json.RawMessage `json:"data"`
	Status struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		Message     string `json:"message"`
	} `json:"status"`
}

func (e *env) do(req *http.Request) reply {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := reply{HTTP: res.StatusCode, Header: res.Header, Raw: raw}
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("%s %s: answer is not an envelope: %v\n%s", req.Method, req.URL.Path, err, raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("Content-Type = %q", ct)
	}
	return r
}

// postRaw sends a raw body.
func (e *env) postRaw(method, body string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+method, bytes.NewBufferString(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return e.do(req)
}

// post sends params as a JSON body, adding the session token unless the
// params set "token" themselves (nil: send no token).
func (e *env) post(method string, in map[string]any) reply {
	e.t.Helper()
	params := make(map[string]any, len(in)+1)
	for k, v := range in {
		params[k] = v
	}
	if tok, ok := params["token"]; !ok {
		params["token"] = e.token
	} else if tok == nil {
		delete(params, "token")
	}
	return e.postRaw(method, e.encode(params))
}

// encode is params as a JSON body.
func (e *env) encode(params map[string]any) string {
	e.t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// get sends a GET with the session token added unless q sets it.
func (e *env) get(method string, q url.Values) reply {
	e.t.Helper()
	if q == nil {
		q = url.Values{}
	}
	if _, ok := q["token"]; !ok {
		q.Set("token", e.token)
	}
	req, err := http.NewRequest(http.MethodGet, e.url+method+"?"+q.Encode(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

func (e *env) login(org, user, password string) string {
	e.t.Helper()
	r := e.post("authentication/token", map[string]any{"organisation": org, "username": user, "password": password, "token": nil})
	r.ok(e.t)
	var d struct{ Token string }
	json.Unmarshal(r.Data, &d)
	return d.Token
}

// ok fails unless the reply is a success.
func (r reply) ok(t *testing.T) reply {
	t.Helper()
	if r.HTTP != http.StatusOK || r.Status.Code != "OK" {
		t.Fatalf("HTTP %d %s: %s", r.HTTP, r.Status.Code, r.Status.Message)
	}
	return r
}

// fails checks an error reply: HTTP status, status.code, data {} and, when
// given, words the message must contain.
func (r reply) fails(t *testing.T, httpStatus int, code string, words ...string) {
	t.Helper()
	if r.HTTP != httpStatus || r.Status.Code != code {
		t.Fatalf("got HTTP %d %s (%s), want HTTP %d %s", r.HTTP, r.Status.Code, r.Status.Message, httpStatus, code)
	}
	if string(r.Data) != "{}" {
		t.Fatalf("error data = %s, want {}", r.Data)
	}
	if r.Status.Message == "" {
		t.Fatal("error without a message")
	}
	for _, w := range words {
		if !bytes.Contains([]byte(r.Status.Message), []byte(w)) {
			t.Fatalf("message %q does not mention %q", r.Status.Message, w)
		}
	}
}

// addTenant adds an organisation (or, with an existing one, an operator)
// with a user, and returns the user's token.
func (e *env) addTenant(org, operator, user string) string {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.stores.Tenancy.OrganisationByName(ctx, org)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		o, err = e.stores.Tenancy.CreateOrganisation(ctx, org, docTime)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	op, err := e.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: o.ID, Name: operator, CreatedAt: docTime})
	if err != nil {
		e.t.Fatal(err)
	}
	hash, err := auth.HashPassword(ctx, "password-"+user)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: o.ID, OperatorID: op.ID, Username: user, PasswordHash: hash, CreatedAt: docTime}); err != nil {
		e.t.Fatal(err)
	}
	return e.login(org, user, "password-"+user)
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", gb, wb)
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
