package rpcapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"carebridge/internal/rpcapi"
)

// with is the env seen from a subtest.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	c.raw = nil
	return &c
}

// auditSubjects lists the subjects of the factory-reset records, checking
// the actor and action of each.
func (e *env) auditSubjects() []string {
	e.t.Helper()
	log, err := e.stores.Tenancy.AuditLog(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, a := range log {
		if a.Actor != "admin:demo" || a.Action != "factory-reset" || a.At.IsZero() {
			e.t.Fatalf("audit record %+v, want actor admin:demo, action factory-reset and a time", a)
		}
		out = append(out, a.Subject)
	}
	return out
}

func TestHTTPGolden(t *testing.T) {
	t.Parallel()
	for _, ex := range goldenExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			got := e.postRPC("/jsonrpc", ex.request)
			if string(got) != string(ex.response) {
				t.Fatalf("answer\n got: %s\nwant: %s", got, ex.response)
			}
			if subjects := e.auditSubjects(); len(subjects) == 0 {
				t.Fatal("the factory reset left no audit record: it did not run")
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	shared := setup(t)
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, path := c.env(t, shared)
			// postRPC checks that the error travels with HTTP 200.
			parseAnswer(t, e.postRPC(path, c.request)).isError(t, c.id, c.code, c.message)
			if c.check != nil {
				c.check(e)
			}
		})
	}
}

func TestHTTPCallsignPath(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i, method := range []string{"1.factoryReset", "factoryReset", "Netflix.1.factoryReset", "1.factoryreset"} {
		a := parseAnswer(t, e.postRPC("/jsonrpc/Netflix", request(t, i+1, method, nil)))
		a.isResult(t, jsonNumber(i+1), "null")
	}
	if got := e.auditSubjects(); strings.Join(got, ",") != "Netflix,Netflix,Netflix,Netflix" {
		t.Fatalf("audit subjects = %v, want four Netflix resets", got)
	}
	if n := e.count("ocp_customers"); n != 2 {
		t.Fatalf("a reset at /jsonrpc/Netflix touched OCP: %d customers", n)
	}
	// Controller's methods on its own path, with an index.
	var plugins []struct{ Callsign, State string }
	a := parseAnswer(t, e.postRPC("/jsonrpc/Controller", request(t, 9, "1.status@OCP", nil)))
	if err := json.Unmarshal(a.Result, &plugins); err != nil || len(plugins) != 1 || plugins[0].Callsign != "OCP" || plugins[0].State != "Activated" {
		t.Fatalf("status@OCP = %s", a.Raw)
	}
}

func jsonNumber(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestHTTPMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := request(t, 1, "Controller.1.deactivate", map[string]any{"callsign": "Netflix"})
	for _, tc := range []struct{ method, path, auth string }{
		{http.MethodGet, "/jsonrpc", ""},
		{http.MethodGet, "/jsonrpc", "Bearer " + adminToken},
		{http.MethodGet, "/jsonrpc/Netflix", "Bearer " + adminToken},
		{http.MethodPut, "/jsonrpc", "Bearer " + adminToken},
		{http.MethodPut, "/jsonrpc/Controller", "Bearer " + adminToken},
		{http.MethodDelete, "/jsonrpc", "Bearer " + adminToken},
		{http.MethodPatch, "/jsonrpc", "Bearer " + adminToken},
	} {
		var r httpReply
		if tc.method == http.MethodGet {
			r = e.send(tc.method, tc.path, tc.auth, nil)
		} else {
			r = e.send(tc.method, tc.path, tc.auth, strings.NewReader(body))
		}
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: HTTP %d %s, want 405", tc.method, tc.path, r.Status, r.Body)
		}
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("%s %s: Allow = %q, want POST in it", tc.method, tc.path, allow)
		}
	}
	stillActive("Netflix")(e)
}

func TestHTTPUnknownCallsignPath(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := request(t, 1, "1.status", nil)
	for _, path := range []string{"/jsonrpc/Nobody", "/jsonrpc/netflix", "/jsonrpc/Netflix/extra", "/jsonrpc/Netflix/"} {
		r := e.send(http.MethodPost, path, "Bearer "+adminToken, strings.NewReader(body))
		if r.Status != http.StatusNotFound {
			t.Errorf("POST %s: HTTP %d %s, want 404", path, r.Status, r.Body)
		}
	}
}

func TestHTTPNotification(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct{ path, body, callsign string }{
		{"/jsonrpc", `{"jsonrpc":"2.0","method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`, "Netflix"},
		{"/jsonrpc/Controller", `{"jsonrpc":"2.0","method":"deactivate","params":{"callsign":"OCP"}}`, "OCP"},
		{"/jsonrpc", `{"jsonrpc":"2.0","method":"Nobody.1.factoryReset"}`, ""}, // an error: still no answer
	} {
		path := tc.path
		r := e.send(http.MethodPost, path, "Bearer "+adminToken, strings.NewReader(tc.body))
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("notification %s: HTTP %d %q, want 204 and no body", tc.body, r.Status, r.Body)
		}
		if tc.callsign != "" {
			if s := e.state(tc.callsign); s != "Deactivated" {
				t.Fatalf("after the notification %s, %s is %s: the method did not run", tc.body, tc.callsign, s)
			}
		}
	}
}

// A request whose id is null is not a notification (JSON-RPC 2.0 §4: a
// notification has no "id" member; an id "MUST contain a String, Number,
// or NULL value if included"). It must be answered, with id null: a result,
// or -32600 as Thunder's ids are numbers.
func TestHTTPNullIDIsAnswered(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.send(http.MethodPost, "/jsonrpc", "Bearer "+adminToken,
		strings.NewReader(`{"jsonrpc":"2.0","id":null,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`))
	if r.Status != http.StatusOK {
		t.Fatalf("HTTP %d %q, want 200 and an answer", r.Status, r.Body)
	}
	a := parseAnswer(t, r.Body)
	if string(a.ID) != "null" || a.Error != nil && a.Error.Code != -32600 {
		t.Fatalf("answer %s, want id null and a result or -32600", a.Raw)
	}
	if a.Error != nil {
		stillActive("Netflix")(e)
	}
}

func TestHTTPAuthentication(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := request(t, 1, "Controller.1.deactivate", map[string]any{"callsign": "Netflix"})
	for _, auth := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Bearer not-the-token",
		"Bearer " + adminToken + "x",
		"Basic " + adminToken,
		"Basic " + base64.StdEncoding.EncodeToString([]byte("demo:"+adminToken)),
		"Token " + adminToken,
		adminToken,
	} {
		for _, path := range []string{"/jsonrpc", "/jsonrpc/Controller"} {
			r := e.send(http.MethodPost, path, auth, strings.NewReader(body))
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("Authorization %q: HTTP %d %s, want 401", auth, r.Status, r.Body)
			}
			if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
				t.Fatalf("Authorization %q: WWW-Authenticate = %q", auth, h)
			}
		}
	}
	// Nothing ran.
	stillActive("Netflix")(e)
	// The scheme is case-insensitive (RFC 7235).
	r := e.send(http.MethodPost, "/jsonrpc", "bearer "+adminToken, strings.NewReader(request(t, 2, "Controller.1.status@Netflix", nil)))
	if r.Status != http.StatusOK {
		t.Fatalf("lower-case bearer: HTTP %d %s", r.Status, r.Body)
	}
	parseAnswer(t, r.Body).isResult(t, "2", `[{"callsign":"Netflix","classname":"Netflix","state":"Activated","version":"1.0.0"}]`)
}

// padded is a request padded with trailing spaces to exactly size bytes.
func padded(t *testing.T, req string, size int) string {
	t.Helper()
	if len(req) > size {
		t.Fatal("request longer than the size")
	}
	return req + strings.Repeat(" ", size-len(req))
}

func TestHTTPBodyLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	deactivate := request(t, 1, "Controller.1.deactivate", map[string]any{"callsign": "Netflix"})

	r := e.send(http.MethodPost, "/jsonrpc", "Bearer "+adminToken, strings.NewReader(padded(t, deactivate, rpcapi.MaxMessageBytes+1)))
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("body of 1 MiB + 1: HTTP %d %s, want 413", r.Status, r.Body)
	}
	stillActive("Netflix")(e)

	// Exactly 1 MiB is served.
	r = e.send(http.MethodPost, "/jsonrpc", "Bearer "+adminToken, strings.NewReader(padded(t, deactivate, rpcapi.MaxMessageBytes)))
	if r.Status != http.StatusOK {
		t.Fatalf("body of 1 MiB: HTTP %d %s, want 200", r.Status, r.Body)
	}
	parseAnswer(t, r.Body).isResult(t, "1", "null")
	if s := e.state("Netflix"); s != "Deactivated" {
		t.Fatalf("Netflix is %s after a 1 MiB deactivate", s)
	}
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var plugins []struct {
		Callsign  string `json:"callsign"`
		ClassName string `json:"classname"`
		State     string `json:"state"`
		Version   string `json:"version"`
	}
	for _, method := range []string{"Controller.1.status", "Controller.1.services", "Controller.status"} {
		if err := json.Unmarshal(e.must(method, nil), &plugins); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, p := range plugins {
			if p.State != "Activated" || p.ClassName == "" || p.Version == "" {
				t.Fatalf("%s: %+v", method, p)
			}
			seen[p.Callsign] = true
		}
		for _, cs := range []string{"Controller", "Netflix", "OCP", "CustomerCareOperations"} {
			if !seen[cs] {
				t.Fatalf("%s does not list %s: %+v", method, cs, plugins)
			}
		}
	}
	e.must("Controller.1.deactivate", map[string]any{"callsign": "OCP"})
	if s := e.state("OCP"); s != "Deactivated" {
		t.Fatalf("OCP is %s", s)
	}
	e.must("Controller.1.activate", map[string]any{"callsign": "OCP"})
	if s := e.state("OCP"); s != "Activated" {
		t.Fatalf("OCP is %s", s)
	}
}
