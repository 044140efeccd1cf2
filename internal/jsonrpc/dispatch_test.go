package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"carebridge"
)

type bindParams struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type ctxKey struct{}

// seen records what a handler was called with.
type seen struct {
	mu    sync.Mutex
	calls []Call
	ctxs  []any
}

func (s *seen) record(ctx context.Context, c *Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, *c)
	s.ctxs = append(s.ctxs, ctx.Value(ctxKey{}))
}

func (s *seen) last(t *testing.T) (Call, any) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		t.Fatal("the handler was not called")
	}
	return s.calls[len(s.calls)-1], s.ctxs[len(s.ctxs)-1]
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// testDispatcher returns a dispatcher with a Netflix plugin (version 1), a
// Controller plugin with status, and a CustomerCareOperations plugin with the
// legacy factoryreset spelling; rec records the calls of every handler.
func testDispatcher() (*Dispatcher, *seen) {
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	rec := &seen{}
	d.Add(&Plugin{
		Callsign: "Netflix",
		Versions: []int{1},
		Methods: map[string]Handler{
			"factoryReset": func(ctx context.Context, c *Call) (any, error) {
				rec.record(ctx, c)
				return nil, nil
			},
			"echo": func(ctx context.Context, c *Call) (any, error) {
				rec.record(ctx, c)
				return map[string]any{"method": c.Method, "index": c.Index, "version": c.Version}, nil
			},
			"bind": func(ctx context.Context, c *Call) (any, error) {
				rec.record(ctx, c)
				var p bindParams
				if err := c.Bind(&p); err != nil {
					return nil, err
				}
				return p, nil
			},
			"forbidden": func(ctx context.Context, c *Call) (any, error) {
				return nil, carebridge.Errorf(carebridge.EFORBIDDEN, "Factory reset is disabled.")
			},
			"invalid": func(ctx context.Context, c *Call) (any, error) {
				return nil, carebridge.Errorf(carebridge.EINVALID, "channel must be one of %s.", "WEB, STORE")
			},
			"missing": func(ctx context.Context, c *Call) (any, error) {
				return nil, carebridge.Errorf(carebridge.EMISSING, "callsign is required.")
			},
			"wrapped": func(ctx context.Context, c *Call) (any, error) {
				return nil, fmt.Errorf("store: %w", carebridge.Errorf(carebridge.EINVALID, "name is too long."))
			},
			"unavailable": func(ctx context.Context, c *Call) (any, error) {
				return nil, carebridge.Errorf(carebridge.EUNAVAILABLE, "Partner is down.")
			},
			"notfound": func(ctx context.Context, c *Call) (any, error) {
				return nil, carebridge.Errorf(carebridge.ENOTFOUND, "secret-row-17 not found.")
			},
			"boom": func(ctx context.Context, c *Call) (any, error) {
				return nil, errors.New("disk on fire at /var/secret")
			},
			"rpcerr": func(ctx context.Context, c *Call) (any, error) {
				return nil, &Error{Code: -32001, Message: "Custom."}
			},
		},
		Events: []string{"reset", "e"},
	})
	d.Add(&Plugin{
		Callsign: "Controller",
		Versions: []int{1},
		Methods: map[string]Handler{
			"status": func(ctx context.Context, c *Call) (any, error) {
				rec.record(ctx, c)
				return []string{c.Index}, nil
			},
		},
		Events: []string{"statechange"},
	})
	d.Add(&Plugin{
		Callsign: "CustomerCareOperations",
		Versions: []int{1},
		Methods: map[string]Handler{
			"factoryreset": func(ctx context.Context, c *Call) (any, error) {
				rec.record(ctx, c)
				return nil, nil
			},
		},
	})
	return d, rec
}

func request(method, params string) *Request {
	r := &Request{ID: u32(1), Method: method}
	if params != "" {
		r.Params = json.RawMessage(params)
	}
	return r
}

// resultJSON encodes a dispatch result the way the answer would carry it.
func resultJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("result %#v does not encode: %v", v, err)
	}
	return string(b)
}

func wantError(t *testing.T, err *Error, code int, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want %d %q", code, message)
	}
	if err.Code != code || err.Message != message {
		t.Errorf("error = %d %q; want %d %q", err.Code, err.Message, code, message)
	}
}

func TestDispatchDocumentExamples(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"000 factoryReset", strings.Replace(docRequest000, "<callsign>", "Netflix", 1)},
		{"001 legacy factoryreset", docRequest001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, rec := testDispatcher()
			req, derr := Decode([]byte(tt.body))
			if derr != nil {
				t.Fatalf("Decode: %v", derr)
			}
			result, err := d.Dispatch(context.Background(), req, "", nil)
			if err != nil {
				t.Fatalf("Dispatch: %v", err)
			}
			if rec.count() != 1 {
				t.Errorf("handler called %d times; want 1", rec.count())
			}
			if got := MarshalResponse(req.ID, result, err); string(got) != goldenNullAnswer {
				t.Errorf("answer = %s; want %s", got, goldenNullAnswer)
			}
		})
	}
}

func TestDispatchSpellingsAreDistinct(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	// Each document's spelling is served where it is defined, not the other.
	_, err := d.Dispatch(context.Background(), request("Netflix.1.factoryreset", ""), "", nil)
	wantError(t, err, CodeUnknownMethod, "Unknown method.")
	_, err = d.Dispatch(context.Background(), request("CustomerCareOperations.1.factoryReset", ""), "", nil)
	wantError(t, err, CodeUnknownMethod, "Unknown method.")
}

func TestDispatchUnknownMethod(t *testing.T) {
	t.Parallel()
	tests := []struct{ method, path string }{
		{"Netflix.1.nosuch", ""},
		{"Netflix.nosuch", ""},
		{"Netflix.1.FactoryReset", ""},
		{"factoryReset", ""},   // no callsign anywhere
		{"Netflix..x", ""},     // not a designator
		{"Netflix.0.echo", ""}, // not a designator
		{"OCP.1.x", "Netflix"},
		{"nosuch", "Netflix"},
	}
	for _, tt := range tests {
		t.Run(tt.method+"|"+tt.path, func(t *testing.T) {
			t.Parallel()
			d, rec := testDispatcher()
			result, err := d.Dispatch(context.Background(), request(tt.method, ""), tt.path, nil)
			wantError(t, err, CodeUnknownMethod, "Unknown method.")
			if result != nil {
				t.Errorf("result = %#v with an error", result)
			}
			if rec.count() != 0 {
				t.Errorf("a handler was called %d times", rec.count())
			}
		})
	}
}

func TestDispatchUnknownCallsign(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"Nope.1.factoryReset", "netflix.1.factoryReset", "NETFLIX.factoryReset", "Nope.versions"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			_, err := d.Dispatch(context.Background(), request(method, ""), "", nil)
			wantError(t, err, CodeUnknownCallsign, "The service is not available.")
		})
	}
}

func TestDispatchUnsupportedVersion(t *testing.T) {
	t.Parallel()
	d, rec := testDispatcher()
	for _, method := range []string{"Netflix.2.factoryReset", "Netflix.2.versions", "Controller.3.status@Netflix"} {
		_, err := d.Dispatch(context.Background(), request(method, ""), "", nil)
		wantError(t, err, CodeUnsupportedVer, "Requested version is not supported.")
	}
	_, err := d.Dispatch(context.Background(), request("2.factoryReset", ""), "Netflix", nil)
	wantError(t, err, CodeUnsupportedVer, "Requested version is not supported.")
	if rec.count() != 0 {
		t.Errorf("a handler was called %d times", rec.count())
	}
	// A plugin serving version 2 takes it.
	d.Add(&Plugin{Callsign: "Two", Versions: []int{1, 2}, Methods: map[string]Handler{
		"m": func(context.Context, *Call) (any, error) { return "ok", nil },
	}})
	if result, err := d.Dispatch(context.Background(), request("Two.2.m", ""), "", nil); err != nil || result != "ok" {
		t.Errorf("Two.2.m = %#v, %v; want ok", result, err)
	}
}

func TestDispatchNoVersionIsServed(t *testing.T) {
	t.Parallel()
	d, rec := testDispatcher()
	if _, err := d.Dispatch(context.Background(), request("Netflix.factoryReset", ""), "", nil); err != nil {
		t.Fatalf("Netflix.factoryReset: %v", err)
	}
	call, _ := rec.last(t)
	if call.Version != 0 || call.Callsign != "Netflix" || call.Method != "factoryReset" {
		t.Errorf("call = %+v", call.Designator)
	}
}

func TestDispatchNotActive(t *testing.T) {
	t.Parallel()
	d, rec := testDispatcher()
	var mu sync.Mutex
	var asked []string
	d.Active = func(callsign string) bool {
		mu.Lock()
		asked = append(asked, callsign)
		mu.Unlock()
		return callsign != "Netflix"
	}
	for _, method := range []string{"Netflix.1.factoryReset", "Netflix.versions", "Netflix.1.nosuch"} {
		_, err := d.Dispatch(context.Background(), request(method, ""), "", nil)
		wantError(t, err, CodeNotActive, "The service is not active.")
	}
	if rec.count() != 0 {
		t.Errorf("the handler of a deactivated plugin ran %d times", rec.count())
	}
	mu.Lock()
	if !slices.Contains(asked, "Netflix") {
		t.Errorf("Active asked about %v; want Netflix", asked)
	}
	mu.Unlock()
	// Other plugins still answer.
	if _, err := d.Dispatch(context.Background(), request("Controller.1.status", ""), "", nil); err != nil {
		t.Errorf("Controller.1.status: %v", err)
	}
}

func TestDispatchInvalidParams(t *testing.T) {
	t.Parallel()
	params := []string{
		`{"name":5}`,
		`{"count":"two"}`,
		`{"nme":"x"}`,
		`{"name":"x","extra":true}`,
		`[1,2]`,
		`"x"`,
		`42`,
	}
	for _, p := range params {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			d, rec := testDispatcher()
			result, err := d.Dispatch(context.Background(), request("Netflix.1.bind", p), "", nil)
			wantError(t, err, CodeInvalidParams, "Invalid parameters.")
			if result != nil {
				t.Errorf("result = %#v with an error", result)
			}
			if rec.count() != 1 {
				t.Errorf("handler called %d times; want 1", rec.count())
			}
		})
	}
}

func TestDispatchBind(t *testing.T) {
	t.Parallel()
	tests := []struct{ params, want string }{
		{`{"name":"Netflix","count":2}`, `{"name":"Netflix","count":2}`},
		{`{"name":"Café ☕"}`, `{"name":"Café ☕","count":0}`},
		{`{}`, `{"name":"","count":0}`},
		{``, `{"name":"","count":0}`}, // absent params bind as {}
	}
	for _, tt := range tests {
		t.Run(tt.params, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			result, err := d.Dispatch(context.Background(), request("Netflix.1.bind", tt.params), "", nil)
			if err != nil {
				t.Fatalf("Dispatch: %v", err)
			}
			if got := resultJSON(t, result); got != tt.want {
				t.Errorf("result = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestCallBindReturnsInvalidParams(t *testing.T) {
	t.Parallel()
	c := &Call{Params: json.RawMessage(`{"name":1}`)}
	var p bindParams
	err := c.Bind(&p)
	var je *Error
	if !errors.As(err, &je) || je.Code != CodeInvalidParams {
		t.Errorf("Bind = %v; want a -32602 *Error", err)
	}
}

func TestDispatchCarebridgeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method  string
		code    int
		message string
	}{
		{"forbidden", CodeNotAllowed, "Method invocation not allowed."},
		{"invalid", CodeInvalidParams, "channel must be one of WEB, STORE."},
		{"missing", CodeInvalidParams, "callsign is required."},
		{"wrapped", CodeInvalidParams, "name is too long."},
		{"unavailable", CodeInternal, "Partner is down."},        // busy, not deactivated
		{"notfound", CodeUnknownKey, "secret-row-17 not found."}, // a caller-facing message, as every face's
		{"rpcerr", -32001, "Custom."},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			result, err := d.Dispatch(context.Background(), request("Netflix.1."+tt.method, ""), "", nil)
			wantError(t, err, tt.code, tt.message)
			if result != nil {
				t.Errorf("result = %#v with an error", result)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDispatchInternalErrorIsLogged(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	var buf syncBuffer
	d.Log = slog.New(slog.NewTextHandler(&buf, nil))
	_, err := d.Dispatch(context.Background(), request("Netflix.1.boom", ""), "", nil)
	wantError(t, err, CodeInternal, "Internal error.")
	if strings.Contains(err.Message, "disk on fire") {
		t.Errorf("the answer leaks the internal error: %q", err.Message)
	}
	logged := buf.String()
	if !strings.Contains(logged, "disk on fire at /var/secret") {
		t.Errorf("log = %q; want the handler's error", logged)
	}
	if !strings.Contains(logged, "level=ERROR") {
		t.Errorf("log = %q; want an ERROR record", logged)
	}
}

func TestDispatchHandledErrorsAreNotLogged(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	var buf syncBuffer
	d.Log = slog.New(slog.NewTextHandler(&buf, nil))
	for _, m := range []string{"forbidden", "invalid", "rpcerr", "nosuch", "factoryReset"} {
		d.Dispatch(context.Background(), request("Netflix.1."+m, ""), "", nil)
	}
	if logged := buf.String(); logged != "" {
		t.Errorf("log = %q; want nothing for errors the caller is told about", logged)
	}
}

func TestDispatchInternalErrorWithoutLogger(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	d.Log = nil
	_, err := d.Dispatch(context.Background(), request("Netflix.1.boom", ""), "", nil)
	wantError(t, err, CodeInternal, "Internal error.")
}

func TestDispatchNotAllowedRegisterOverHTTP(t *testing.T) {
	t.Parallel()
	for _, m := range []string{"register", "unregister"} {
		t.Run(m, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			_, err := d.Dispatch(context.Background(), request("Netflix.1."+m, `{"event":"statechange","id":"client"}`), "", nil)
			wantError(t, err, CodeNotAllowed, "Method invocation not allowed.")
		})
	}
}

func TestDispatchVersions(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	for _, tt := range []struct{ method, path, want string }{
		{"Netflix.1.versions", "", `[{"name":"JNetflix","major":1,"minor":0,"patch":0}]`},
		{"Netflix.versions", "", `[{"name":"JNetflix","major":1,"minor":0,"patch":0}]`},
		{"versions", "Controller", `[{"name":"JController","major":1,"minor":0,"patch":0}]`},
		{"CustomerCareOperations.1.versions", "", `[{"name":"JCustomerCareOperations","major":1,"minor":0,"patch":0}]`},
	} {
		result, err := d.Dispatch(context.Background(), request(tt.method, ""), tt.path, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.method, err)
			continue
		}
		if got := resultJSON(t, result); got != tt.want {
			t.Errorf("%s = %s; want %s", tt.method, got, tt.want)
		}
	}
	d.Add(&Plugin{Callsign: "Two", Versions: []int{1, 2}})
	result, err := d.Dispatch(context.Background(), request("Two.versions", ""), "", nil)
	if err != nil {
		t.Fatalf("Two.versions: %v", err)
	}
	want := `[{"name":"JTwo","major":1,"minor":0,"patch":0},{"name":"JTwo","major":2,"minor":0,"patch":0}]`
	if got := resultJSON(t, result); got != want {
		t.Errorf("Two.versions = %s; want %s", got, want)
	}
}

func TestDispatchExists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		want   bool
	}{
		{"factoryReset", true},
		{"echo", true},
		{"factoryreset", false}, // case-sensitive
		{"nosuch", false},
		{"versions", true},
		{"exists", true},
		{"register", true},
		{"unregister", true},
		{"Netflix.1.factoryReset", false}, // a method name, not a designator
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			params, _ := json.Marshal(map[string]string{"method": tt.method})
			result, err := d.Dispatch(context.Background(), request("Netflix.1.exists", string(params)), "", nil)
			if err != nil {
				t.Fatalf("exists: %v", err)
			}
			if got, want := resultJSON(t, result), strconv.FormatBool(tt.want); got != want {
				t.Errorf("exists %s = %s; want %s", tt.method, got, want)
			}
		})
	}
}

func TestDispatchExistsInvalidParams(t *testing.T) {
	t.Parallel()
	for _, p := range []string{``, `{}`, `{"method":""}`, `{"method":5}`, `{"method":"x","extra":1}`, `["factoryReset"]`} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			d, _ := testDispatcher()
			_, err := d.Dispatch(context.Background(), request("Netflix.1.exists", p), "", nil)
			wantError(t, err, CodeInvalidParams, "Invalid parameters.")
		})
	}
}

func TestDispatchRegisterUnregister(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	conn := &fakeConn{}
	other := &fakeConn{}
	ctx := context.Background()
	reg := `{"event":"statechange","id":"client.Controller.events"}`

	result, err := d.Dispatch(ctx, request("Controller.1.register", reg), "", conn)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if got := resultJSON(t, result); got != "null" {
		t.Errorf("register result = %s; want null", got)
	}
	params := map[string]string{"callsign": "Netflix", "state": "Deactivated", "reason": "Requested"}
	d.Events.Publish("Controller", "statechange", params)
	got := conn.take()
	if len(got) != 1 || got[0].method != "client.Controller.events.statechange" {
		t.Fatalf("after register: %+v; want one client.Controller.events.statechange", got)
	}
	if b, _ := MarshalNotification(got[0].method, got[0].params); string(b) != `{"jsonrpc":"2.0","method":"client.Controller.events.statechange","params":{"callsign":"Netflix","reason":"Requested","state":"Deactivated"}}` {
		t.Errorf("notification = %s", b)
	}
	if n := other.take(); len(n) != 0 {
		t.Errorf("another connection received %+v", n)
	}
	// Registered on Controller, not on Netflix.
	d.Events.Publish("Netflix", "statechange", nil)
	if n := conn.take(); len(n) != 0 {
		t.Errorf("received another plugin's event: %+v", n)
	}

	result, err = d.Dispatch(ctx, request("Controller.1.unregister", reg), "", conn)
	if err != nil {
		t.Fatalf("unregister: %v", err)
	}
	if got := resultJSON(t, result); got != "null" {
		t.Errorf("unregister result = %s; want null", got)
	}
	d.Events.Publish("Controller", "statechange", params)
	if n := conn.take(); len(n) != 0 {
		t.Errorf("after unregister: %+v", n)
	}
}

func TestDispatchRegisterOnPath(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	conn := &fakeConn{}
	if _, err := d.Dispatch(context.Background(), request("register", `{"event":"reset","id":"n"}`), "Netflix", conn); err != nil {
		t.Fatalf("register: %v", err)
	}
	d.Events.Publish("Netflix", "reset", nil)
	if got := methods(conn.take()); !slices.Equal(got, []string{"n.reset"}) {
		t.Errorf("received %v; want [n.reset]", got)
	}
}

func TestDispatchRegisterInvalidParams(t *testing.T) {
	t.Parallel()
	for _, p := range []string{``, `{}`, `{"event":"statechange"}`, `{"id":"x"}`, `{"event":"","id":"x"}`, `{"event":"statechange","id":5}`, `{"event":"statechange","id":"x","extra":1}`} {
		for _, m := range []string{"register", "unregister"} {
			t.Run(m+" "+p, func(t *testing.T) {
				t.Parallel()
				d, _ := testDispatcher()
				conn := &fakeConn{}
				_, err := d.Dispatch(context.Background(), request("Netflix.1."+m, p), "", conn)
				wantError(t, err, CodeInvalidParams, "Invalid parameters.")
				d.Events.Publish("Netflix", "statechange", nil)
				if n := conn.take(); len(n) != 0 {
					t.Errorf("a rejected %s still registered: %+v", m, n)
				}
			})
		}
	}
}

func TestDispatchIndexReachesHandler(t *testing.T) {
	t.Parallel()
	d, rec := testDispatcher()
	result, err := d.Dispatch(context.Background(), request("Controller.1.status@Netflix", ""), "", nil)
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if got := resultJSON(t, result); got != `["Netflix"]` {
		t.Errorf("result = %s; want [\"Netflix\"]", got)
	}
	call, _ := rec.last(t)
	if call.Index != "Netflix" || call.Callsign != "Controller" || call.Method != "status" || call.Version != 1 {
		t.Errorf("call = %+v", call.Designator)
	}
	// Without an index the handler sees "".
	if _, err := d.Dispatch(context.Background(), request("Controller.status", ""), "", nil); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if call, _ := rec.last(t); call.Index != "" {
		t.Errorf("Index = %q; want empty", call.Index)
	}
}

func TestDispatchPassesCallContextConnAndParams(t *testing.T) {
	t.Parallel()
	d, rec := testDispatcher()
	conn := &fakeConn{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "marker")
	if _, err := d.Dispatch(ctx, request("1.echo@idx", `{"a":[1,2]}`), "Netflix", conn); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	call, v := rec.last(t)
	if v != "marker" {
		t.Errorf("context value = %#v; want the caller's context", v)
	}
	if call.Conn != conn {
		t.Errorf("Conn = %#v; want the caller's connection", call.Conn)
	}
	if string(call.Params) != `{"a":[1,2]}` {
		t.Errorf("Params = %q", call.Params)
	}
	want := Designator{Callsign: "Netflix", Version: 1, Method: "echo", Index: "idx"}
	if call.Designator != want {
		t.Errorf("Designator = %+v; want %+v", call.Designator, want)
	}
	// Over HTTP the connection is nil.
	if _, err := d.Dispatch(ctx, request("Netflix.echo", ""), "", nil); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if call, _ := rec.last(t); call.Conn != nil || call.Params != nil {
		t.Errorf("Conn = %#v, Params = %q; want nil, nil", call.Conn, call.Params)
	}
}

func TestDispatchPluginMethodShadowsBuiltin(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	d.Add(&Plugin{Callsign: "P", Versions: []int{1}, Methods: map[string]Handler{
		"versions": func(context.Context, *Call) (any, error) { return "own", nil },
	}})
	result, err := d.Dispatch(context.Background(), request("P.versions", ""), "", nil)
	if err != nil || result != "own" {
		t.Errorf("P.versions = %#v, %v; want the plugin's own method", result, err)
	}
}

func TestDispatcherHas(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	if !d.Has("Netflix") || !d.Has("CustomerCareOperations") {
		t.Error("Has = false for an added plugin")
	}
	if d.Has("netflix") || d.Has("") || d.Has("OCP") {
		t.Error("Has = true for a callsign never added")
	}
}

func TestDispatchConcurrent(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := &fakeConn{}
			for r := range 50 {
				cs := "P" + strconv.Itoa(i) + "_" + strconv.Itoa(r%4)
				d.Add(&Plugin{Callsign: cs, Versions: []int{1}})
				if _, err := d.Dispatch(context.Background(), request(cs+".1.versions", ""), "", nil); err != nil {
					select {
					case errs <- cs + ": " + err.Message:
					default:
					}
				}
				if _, err := d.Dispatch(context.Background(), request("Netflix.1.register", `{"event":"e","id":"x"}`), "", conn); err != nil {
					select {
					case errs <- "register: " + err.Message:
					default:
					}
				}
				d.Events.Publish("Netflix", "e", r)
				d.Events.Drop(conn)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// calls records what an Observer hears.
type calls struct {
	mu  sync.Mutex
	got []string
}

func (c *calls) Called(method string, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, fmt.Sprintf("%s %d", method, code))
}

// The observer hears a served method under one name however it was
// spelled, and anything not served as "unknown", never the client's text.
func TestDispatchObserver(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	heard := &calls{}
	d.Observer = heard
	d.Active = func(callsign string) bool { return callsign != "CustomerCareOperations" }
	for _, c := range []struct{ method, path string }{
		{"Netflix.1.echo", ""},
		{"Netflix.echo", ""},
		{"1.echo", "Netflix"},
		{"Netflix.1.versions", ""},
		{"Netflix.1.invalid", ""},
		{"Netflix.1.pci150", ""},
		{"Netflix.7.echo", ""},
		{"I00002662.1.status", ""},
		{"CustomerCareOperations.1.factoryreset", ""},
		{"not a designator", ""},
	} {
		d.Dispatch(context.Background(), request(c.method, ""), c.path, nil)
	}
	want := []string{
		"Netflix.echo 0", "Netflix.echo 0", "Netflix.echo 0", "Netflix.versions 0",
		fmt.Sprintf("Netflix.invalid %d", CodeInvalidParams),
		fmt.Sprintf("unknown %d", CodeUnknownMethod),
		fmt.Sprintf("Netflix.echo %d", CodeUnsupportedVer),
		fmt.Sprintf("unknown %d", CodeUnknownCallsign),
		fmt.Sprintf("CustomerCareOperations.factoryreset %d", CodeNotActive),
		fmt.Sprintf("unknown %d", CodeUnknownMethod),
	}
	if !slices.Equal(heard.got, want) {
		t.Errorf("observer heard\n%q\nwant\n%q", heard.got, want)
	}
}
