package rpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// The care plane's tests run on every engine: SQLite always, PostgreSQL
// when CAREBRIDGE_TEST_POSTGRES names one.
func engines(t *testing.T, run func(t *testing.T, db func(tb testing.TB) string)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); run(t, testdb.SQLitePath) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("CAREBRIDGE_TEST_POSTGRES") == "" {
			t.Skip("CAREBRIDGE_TEST_POSTGRES is not set")
		}
		t.Parallel()
		run(t, testdb.PostgresURL)
	})
}

// plane is a started server (background work included) on a database
// loaded with the demo data, and a credential of every role: the demo's
// care agent and supervisor logged in, an ops token and the demo's admin
// token.
type plane struct {
	t      *testing.T
	srv    *testserver.Server
	op     carebridge.Operator
	tokens map[carebridge.Role]string

	crmToken string // the demo user's CRM.COM session, once logged in
}

const opsToken = "ops-token-0123456789"

func startPlane(t *testing.T, db string, opts ...option) *plane {
	t.Helper()
	return newPlane(t, db, true, opts...)
}

// stillPlane is startPlane without the server's background work: no
// processor settles a charge behind the test's back, so what is reported
// stays PENDING until the test settles it (p.settle).
func stillPlane(t *testing.T, db string, opts ...option) *plane {
	t.Helper()
	return newPlane(t, db, false, opts...)
}

func newPlane(t *testing.T, db string, background bool, opts ...option) *plane {
	t.Helper()
	s := testserver.NewOn(t, db, server.Config{}, opts...)
	s.Serve(t)
	if background {
		ctx, cancel := context.WithCancel(context.Background())
		stopped := s.App.Start(ctx)
		t.Cleanup(func() { cancel(); stopped() })
	}
	p := &plane{t: t, srv: s, op: s.LoadDemo(t, time.Now())}
	if err := s.Stores.Tenancy.CreateAdminToken(context.Background(),
		carebridge.AdminToken{Name: "robot", Role: carebridge.RoleOps, CreatedAt: time.Now()}, auth.HashToken(opsToken)); err != nil {
		t.Fatal(err)
	}
	p.tokens = map[carebridge.Role]string{
		carebridge.RoleCare:       p.login(demo.Organisation, demo.CareAgent, demo.CareAgent),
		carebridge.RoleSupervisor: p.login(demo.Organisation, demo.Supervisor, demo.Supervisor),
		carebridge.RoleOps:        opsToken,
		carebridge.RoleAdmin:      demo.AdminToken,
	}
	return p
}

// post sends a JSON body to path with an optional Bearer token.
func (p *plane) post(path, token string, body []byte) (int, []byte) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.srv.HTTP.URL+path, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := p.srv.HTTP.Client().Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return res.StatusCode, b
}

// login opens a care session and returns its token.
func (p *plane) login(org, user, password string) string {
	p.t.Helper()
	body, _ := json.Marshal(map[string]string{"organisation": org, "username": user, "password": password})
	status, b := p.post("/care/login", "", body)
	var s struct{ Token string }
	if status != http.StatusOK || json.Unmarshal(b, &s) != nil || s.Token == "" {
		p.t.Fatalf("care login %s: HTTP %d %s", user, status, b)
	}
	return s.Token
}

// rpc calls a method over HTTP with token and decodes the answer.
func (p *plane) rpc(token, method string, params any) answer {
	p.t.Helper()
	status, b := p.post("/jsonrpc", token, []byte(request(p.t, 1, method, params)))
	if status != http.StatusOK {
		p.t.Fatalf("%s: HTTP %d %s", method, status, b)
	}
	return parseAnswer(p.t, b)
}

// ok calls a method over HTTP that must succeed and decodes its result
// into v.
func (p *plane) ok(token, method string, params any, v any) {
	p.t.Helper()
	a := p.rpc(token, method, params)
	if a.Error != nil {
		p.t.Fatalf("%s %v: %s", method, params, a.Raw)
	}
	if v != nil {
		if err := json.Unmarshal(a.Result, v); err != nil {
			p.t.Fatalf("%s: %v: %s", method, err, a.Raw)
		}
	}
}

// ws opens a WebSocket with token (as ?token=).
func (p *plane) ws(token string) *wsClient {
	p.t.Helper()
	e := &env{t: p.t, srv: p.srv.HTTP}
	return e.dialURL("ws" + strings.TrimPrefix(p.srv.HTTP.URL, "http") + "/jsonrpc?token=" + url.QueryEscape(token))
}

// call sends a request over the WebSocket and waits for its answer,
// passing over notifications.
func (w *wsClient) call(id int, method string, params any) answer {
	w.t.Helper()
	w.write(request(w.t, id, method, params))
	for {
		b := w.next()
		var m struct{ Method string }
		json.Unmarshal(b, &m)
		if m.Method == "" {
			return parseAnswer(w.t, b)
		}
	}
}

// notification waits for the next notification of method, passing over
// others, and decodes its params into v.
func (w *wsClient) notification(method string, v any) {
	w.t.Helper()
	for {
		var m struct {
			Method string
			Params json.RawMessage
		}
		b := w.next()
		if err := json.Unmarshal(b, &m); err != nil {
			w.t.Fatal(err)
		}
		if m.Method == method {
			if err := json.Unmarshal(m.Params, v); err != nil {
				w.t.Fatalf("%s: %v", b, err)
			}
			return
		}
	}
}
