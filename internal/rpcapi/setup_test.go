package rpcapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/server"
	"carebridge/internal/testserver"
)

// adminToken is the demo's admin token, named "demo".
const adminToken = demo.AdminToken

// waitFor bounds every wait on the server; running out of it fails the test.
const waitFor = 15 * time.Second

// env is a real server on a real SQLite file, loaded with the demo data.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	app    *server.Server
	stores *server.Stores
	dbPath string
	demo   demo.Services
	op     carebridge.Operator
	raw    *sql.DB // opened by db()
}

// option adjusts a server's configuration before it starts.
type option = func(*server.Config)

// serverConfig is what an option adjusts.
type serverConfig = server.Config

// resetDisabled is a production server: factoryReset is not allowed.
func resetDisabled(c *server.Config) { c.DisableFactoryReset = true }

func setup(t *testing.T, opts ...option) *env {
	t.Helper()
	s := testserver.Start(t, server.Config{}, opts...)
	op := s.LoadDemo(t, time.Now())
	return &env{t: t, srv: s.HTTP, app: s.App, stores: s.Stores, dbPath: s.DB, demo: s.Demo(), op: op}
}

// restoreDemo makes a factory reset bring the demo data back, as
// `serve --demo` does.
func (e *env) restoreDemo() {
	e.app.AfterReset = func(ctx context.Context) error {
		_, _, err := demo.Load(ctx, e.demo, time.Now())
		return err
	}
}

// ---- HTTP ----

// httpReply is a raw HTTP answer.
type httpReply struct {
	Status int
	Header http.Header
	Body   []byte
}

// send makes an HTTP request to the server; auth is the whole Authorization
// header ("" sends none).
func (e *env) send(method, path, auth string, body io.Reader) httpReply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	res, err := e.srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return httpReply{Status: res.StatusCode, Header: res.Header, Body: b}
}

// postRPC posts a raw JSON-RPC message with the admin token and expects an
// answer: HTTP 200, application/json.
func (e *env) postRPC(path, body string) []byte {
	e.t.Helper()
	r := e.send(http.MethodPost, path, "Bearer "+adminToken, strings.NewReader(body))
	if r.Status != http.StatusOK {
		e.t.Fatalf("POST %s %s: HTTP %d %s", path, body, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("POST %s: Content-Type = %q", path, ct)
	}
	return r.Body
}

// call invokes a method over HTTP with id 1 and decodes the answer.
func (e *env) call(method string, params any) answer {
	e.t.Helper()
	return parseAnswer(e.t, e.postRPC("/jsonrpc", request(e.t, 1, method, params)))
}

// must calls a method that must succeed and returns its result.
func (e *env) must(method string, params any) json.RawMessage {
	e.t.Helper()
	a := e.call(method, params)
	if a.Error != nil || !a.HasResult {
		e.t.Fatalf("%s: %s", method, a.Raw)
	}
	return a.Result
}

// state is a plugin's state as Controller.1.status@<callsign> reports it.
func (e *env) state(callsign string) string {
	e.t.Helper()
	var plugins []struct {
		Callsign, State string
	}
	if err := json.Unmarshal(e.must("Controller.1.status@"+callsign, nil), &plugins); err != nil {
		e.t.Fatal(err)
	}
	if len(plugins) != 1 || plugins[0].Callsign != callsign {
		e.t.Fatalf("status@%s = %+v", callsign, plugins)
	}
	return plugins[0].State
}

// ---- JSON-RPC messages ----

// request encodes a request; params nil leaves them out.
func request(t *testing.T, id int, method string, params any) string {
	t.Helper()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// answer is a decoded JSON-RPC response, keeping what was present.
type answer struct {
	Raw       []byte
	ID        json.RawMessage // "null" for an id of null
	Result    json.RawMessage
	HasResult bool
	Error     *rpcError
}

// parseAnswer decodes a response and checks its shape: "jsonrpc":"2.0", an
// id, and exactly one of result and error, nothing else.
func parseAnswer(t *testing.T, raw []byte) answer {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, raw)
	}
	a := answer{Raw: raw}
	if string(m["jsonrpc"]) != `"2.0"` {
		t.Fatalf("answer without \"jsonrpc\":\"2.0\": %s", raw)
	}
	id, ok := m["id"]
	if !ok {
		t.Fatalf("answer without an id: %s", raw)
	}
	a.ID = id
	a.Result, a.HasResult = m["result"]
	if e, ok := m["error"]; ok {
		if err := json.Unmarshal(e, &a.Error); err != nil || a.Error == nil {
			t.Fatalf("error is not an object: %s", raw)
		}
	}
	if a.HasResult == (a.Error != nil) {
		t.Fatalf("answer must have exactly one of result and error: %s", raw)
	}
	if len(m) != 3 {
		t.Fatalf("answer has unexpected members: %s", raw)
	}
	return a
}

// isError checks a JSON-RPC error answer: its id, code and message (any
// non-empty message when message is "").
func (a answer) isError(t *testing.T, id string, code int, message string) {
	t.Helper()
	if string(a.ID) != id {
		t.Fatalf("id = %s, want %s: %s", a.ID, id, a.Raw)
	}
	if a.Error == nil {
		t.Fatalf("want error %d, got %s", code, a.Raw)
	}
	if a.Error.Code != code {
		t.Fatalf("error code = %d, want %d: %s", a.Error.Code, code, a.Raw)
	}
	if message == "" && a.Error.Message == "" || message != "" && a.Error.Message != message {
		t.Fatalf("error message = %q, want %q", a.Error.Message, message)
	}
}

// isResult checks a success answer's id and result (compact JSON).
func (a answer) isResult(t *testing.T, id, result string) {
	t.Helper()
	if string(a.ID) != id || a.Error != nil || string(a.Result) != result {
		t.Fatalf("got %s, want id %s and result %s", a.Raw, id, result)
	}
}

// compact is a JSON text without insignificant space.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden reads a file of testdata.
func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goldenExample is one request/response example of the documents.
type goldenExample struct {
	name     string
	request  string // as sent
	response []byte // compacted
}

// goldenExamples are the factoryReset examples: 000's <callsign>
// instantiated for each data-owning plugin, and 001 as printed.
func goldenExamples(t *testing.T) []goldenExample {
	t.Helper()
	template := golden(t, "000_factoryReset.request.json")
	if !strings.Contains(template, `"<callsign>.1.factoryReset"`) {
		t.Fatalf("000 request example lost its <callsign>: %s", template)
	}
	resp000 := compact(t, []byte(golden(t, "000_factoryReset.response.json")))
	resp001 := compact(t, []byte(golden(t, "001_factoryreset.response.json")))
	if string(resp000) != `{"jsonrpc":"2.0","id":42,"result":null}` || string(resp001) != string(resp000) {
		t.Fatalf("golden responses are not the documents': %s %s", resp000, resp001)
	}
	return []goldenExample{
		{"000/Netflix", strings.ReplaceAll(template, "<callsign>", "Netflix"), resp000},
		{"000/OCP", strings.ReplaceAll(template, "<callsign>", "OCP"), resp000},
		{"001/CustomerCareOperations", golden(t, "001_factoryreset.request.json"), resp001},
	}
}

// ---- error cases of the README's JSON-RPC plane section, for both transports ----

// errorCase is one request that must fail with a given JSON-RPC error.
type errorCase struct {
	name    string
	opts    []option
	prepare func(e *env) // before the request (over HTTP)
	path    string       // "" is /jsonrpc
	request string
	id      string // the answer's id, raw JSON
	code    int
	message string       // "" when Thunder names none: any non-empty message
	check   func(e *env) // after the answer: nothing happened
}

func deactivate(callsign string) func(e *env) {
	return func(e *env) { e.must("Controller.1.deactivate", map[string]any{"callsign": callsign}) }
}

func stillActive(callsign string) func(e *env) {
	return func(e *env) {
		if s := e.state(callsign); s != "Activated" {
			e.t.Fatalf("%s is %s, want Activated", callsign, s)
		}
	}
}

// noReset checks that no factory reset happened.
func noReset(e *env) {
	e.t.Helper()
	log, err := e.stores.Tenancy.AuditLog(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	if len(log) != 0 {
		e.t.Fatalf("audit log = %+v, want no reset", log)
	}
	if n := e.count("netflix_promotions"); n != 2 {
		e.t.Fatalf("netflix_promotions has %d rows, want the demo's 2", n)
	}
}

const (
	msgUnknownMethod   = "Unknown method."
	msgInvalidParams   = "Invalid parameters."
	msgInvalidRequest  = "Invalid request."
	msgUnknownCallsign = "The service is not available."
	msgNotActive       = "The service is not active."
	msgUnsupportedVer  = "Requested version is not supported."
	msgNotAllowed      = "Method invocation not allowed."
)

var errorCases = []errorCase{
	{name: "unknown method", request: `{"jsonrpc":"2.0","id":7,"method":"Netflix.1.nosuchmethod"}`,
		id: "7", code: -32601, message: msgUnknownMethod},
	{name: "unknown method: case-sensitive", request: `{"jsonrpc":"2.0","id":7,"method":"Netflix.1.FactoryReset"}`,
		id: "7", code: -32601, message: msgUnknownMethod, check: noReset},
	{name: "unknown method: not a designator", request: `{"jsonrpc":"2.0","id":7,"method":"factoryReset"}`,
		id: "7", code: -32601, message: msgUnknownMethod},
	{name: "unknown method: other callsign on a callsign path", path: "/jsonrpc/Netflix",
		request: `{"jsonrpc":"2.0","id":7,"method":"OCP.1.factoryReset"}`, id: "7", code: -32601, message: msgUnknownMethod},
	{name: "invalid params: wrong type", request: `{"jsonrpc":"2.0","id":8,"method":"Controller.1.deactivate","params":{"callsign":5}}`,
		id: "8", code: -32602, message: msgInvalidParams, check: stillActive("Netflix")},
	{name: "invalid params: unknown field", request: `{"jsonrpc":"2.0","id":8,"method":"Controller.1.deactivate","params":{"callsign":"Netflix","force":true}}`,
		id: "8", code: -32602, message: msgInvalidParams, check: stillActive("Netflix")},
	{name: "invalid params: activate", request: `{"jsonrpc":"2.0","id":8,"method":"Controller.1.activate","params":{"callsign":5}}`,
		id: "8", code: -32602, message: msgInvalidParams},
	{name: "invalid params: missing", request: `{"jsonrpc":"2.0","id":8,"method":"Controller.1.activate"}`,
		id: "8", code: -32602, message: msgInvalidParams},
	{name: "invalid request: no jsonrpc", request: `{"id":9,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`,
		id: "9", code: -32600, message: msgInvalidRequest, check: stillActive("Netflix")},
	{name: "invalid request: jsonrpc 1.0", request: `{"jsonrpc":"1.0","id":9,"method":"Controller.1.status"}`,
		id: "9", code: -32600, message: msgInvalidRequest},
	{name: "invalid request: batch", request: `[{"jsonrpc":"2.0","id":9,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}]`,
		id: "null", code: -32600, message: msgInvalidRequest, check: stillActive("Netflix")},
	{name: "invalid request: string id", request: `{"jsonrpc":"2.0","id":"9","method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`,
		id: "null", code: -32600, message: msgInvalidRequest, check: stillActive("Netflix")},
	{name: "invalid request: method not a string", request: `{"jsonrpc":"2.0","id":9,"method":5}`,
		id: "9", code: -32600, message: msgInvalidRequest},
	{name: "parse error", request: `{"jsonrpc":"2.0","id":10,"method":"Controller.1.status"`,
		id: "null", code: -32700},
	{name: "parse error: not JSON", request: `hello`, id: "null", code: -32700},
	{name: "unknown callsign", request: `{"jsonrpc":"2.0","id":11,"method":"Nobody.1.factoryReset"}`,
		id: "11", code: -31043, message: msgUnknownCallsign},
	{name: "unknown callsign: case-sensitive", request: `{"jsonrpc":"2.0","id":11,"method":"netflix.1.factoryReset"}`,
		id: "11", code: -31043, message: msgUnknownCallsign, check: noReset},
	{name: "unknown callsign: activate", request: `{"jsonrpc":"2.0","id":11,"method":"Controller.1.activate","params":{"callsign":"Nobody"}}`,
		id: "11", code: -31043, message: msgUnknownCallsign},
	{name: "unknown callsign: status@", request: `{"jsonrpc":"2.0","id":11,"method":"Controller.1.status@Nobody"}`,
		id: "11", code: -31043, message: msgUnknownCallsign},
	{name: "deactivated plugin", prepare: deactivate("Netflix"),
		request: `{"jsonrpc":"2.0","id":12,"method":"Netflix.1.factoryReset"}`, id: "12", code: -31002, message: msgNotActive,
		check: noReset},
	{name: "deactivated plugin: OCP", prepare: deactivate("OCP"),
		request: `{"jsonrpc":"2.0","id":12,"method":"OCP.1.factoryReset"}`, id: "12", code: -31002, message: msgNotActive},
	{name: "unsupported version", request: `{"jsonrpc":"2.0","id":13,"method":"Netflix.2.factoryReset"}`,
		id: "13", code: -31038, message: msgUnsupportedVer, check: noReset},
	{name: "not allowed: factory reset disabled", opts: []option{resetDisabled},
		request: `{"jsonrpc":"2.0","id":14,"method":"Netflix.1.factoryReset"}`, id: "14", code: -32604, message: msgNotAllowed,
		check: noReset},
	{name: "not allowed: CustomerCareOperations reset disabled", opts: []option{resetDisabled},
		request: `{"jsonrpc":"2.0","id":14,"method":"CustomerCareOperations.1.factoryreset"}`, id: "14", code: -32604, message: msgNotAllowed,
		check: noReset},
	{name: "not allowed: deactivate Controller", request: `{"jsonrpc":"2.0","id":14,"method":"Controller.1.deactivate","params":{"callsign":"Controller"}}`,
		id: "14", code: -32604, message: msgNotAllowed, check: stillActive("Controller")},
}

// shared tells whether a case can run on a server shared with others.
func (c errorCase) shared() bool { return c.opts == nil && c.prepare == nil }

// ---- WebSocket ----

// wsClient is a WebSocket connection whose messages are read by a
// goroutine, so a test can wait for one with a bound.
type wsClient struct {
	t    *testing.T
	c    *websocket.Conn
	msgs chan wsMessage
	done chan error // the read error that ended the connection
}

type wsMessage struct {
	typ  websocket.MessageType
	data []byte
}

// wsURL is the WebSocket address of path, with the token when not "".
func (e *env) wsURL(path, token string) string {
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + path
	if token != "" {
		u += "?token=" + token
	}
	return u
}

// dialRaw opens a WebSocket and returns what Dial returned.
func (e *env) dialRaw(path, token string, subprotocols ...string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	return websocket.Dial(ctx, e.wsURL(path, token), &websocket.DialOptions{Subprotocols: subprotocols, HTTPClient: e.srv.Client()})
}

// dial opens a WebSocket with the admin token that must succeed.
func (e *env) dial(path string, subprotocols ...string) *wsClient {
	e.t.Helper()
	return e.dialURL(e.wsURL(path, adminToken), subprotocols...)
}

// dialURL opens a WebSocket that must succeed.
func (e *env) dialURL(url string, subprotocols ...string) *wsClient {
	e.t.Helper()
	dctx, dcancel := context.WithTimeout(context.Background(), waitFor)
	defer dcancel()
	c, res, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: subprotocols})
	if err != nil {
		e.t.Fatalf("dial %s: %v", url, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		e.t.Fatalf("dial: HTTP %d", res.StatusCode)
	}
	c.SetReadLimit(4 << 20)
	ws := &wsClient{t: e.t, c: c, msgs: make(chan wsMessage, 1024), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				ws.done <- err
				return
			}
			select {
			case ws.msgs <- wsMessage{typ, b}:
			case <-ctx.Done():
				return
			}
		}
	}()
	e.t.Cleanup(func() {
		cancel()
		c.CloseNow()
		<-finished
	})
	return ws
}

// write sends a text message.
func (w *wsClient) write(msg string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// next waits for the next message, which must be text.
func (w *wsClient) next() []byte {
	w.t.Helper()
	select {
	case m := <-w.msgs:
		if m.typ != websocket.MessageText {
			w.t.Fatalf("message of type %v, want text", m.typ)
		}
		return m.data
	case err := <-w.done:
		w.t.Fatalf("connection ended while waiting for a message: %v", err)
	case <-time.After(waitFor):
		w.t.Fatalf("no message within %v", waitFor)
	}
	return nil
}

// nextAnswer waits for the next message, which must be a response.
func (w *wsClient) nextAnswer() answer {
	w.t.Helper()
	return parseAnswer(w.t, w.next())
}

// roundTrip sends a request and reads the next message as its answer.
func (w *wsClient) roundTrip(msg string) answer {
	w.t.Helper()
	w.write(msg)
	return w.nextAnswer()
}

// closed waits for the server to end the connection and returns the close
// status it sent (-1 when it sent none).
func (w *wsClient) closed() websocket.StatusCode {
	w.t.Helper()
	for {
		select {
		case m := <-w.msgs:
			w.t.Fatalf("message while waiting for the close: %s", m.data)
		case err := <-w.done:
			return websocket.CloseStatus(err)
		case <-time.After(waitFor):
			w.t.Fatalf("connection still open after %v", waitFor)
		}
	}
}

// ---- raw database ----

// db is a connection of its own to the server's SQLite file.
func (e *env) db() *sql.DB {
	e.t.Helper()
	if e.raw == nil {
		db, err := sql.Open("sqlite", "file:"+e.dbPath+"?_pragma=busy_timeout(10000)")
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { db.Close() })
		e.raw = db
	}
	return e.raw
}

// count is the number of rows of a table.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		e.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// tables lists the tables whose names start with prefix.
func (e *env) tables(prefix string) []string {
	e.t.Helper()
	db := e.db()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ? ORDER BY name`, prefix+"*")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	if len(out) == 0 {
		e.t.Fatalf("no table named %s*", prefix)
	}
	return out
}

// counts is the row count of every table of the groups.
func (e *env) counts(tables []string) map[string]int {
	e.t.Helper()
	m := make(map[string]int, len(tables))
	for _, t := range tables {
		m[t] = e.count(t)
	}
	return m
}

// platformTables belong to the host; no plugin's reset touches them.
var platformTables = []string{"organisations", "operators", "users", "admin_tokens"}

// sameCounts fails when two counts differ.
func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %s has %d rows, want %d", what, k, got[k], want[k])
		}
	}
}

// env returns the environment an error case runs in (the shared one when
// the case changes nothing, else its own), prepared, and its path.
func (c errorCase) env(t *testing.T, shared *env) (*env, string) {
	t.Helper()
	var e *env
	if c.shared() {
		e = shared.with(t)
	} else {
		e = setup(t, c.opts...)
	}
	if c.prepare != nil {
		c.prepare(e)
	}
	path := c.path
	if path == "" {
		path = "/jsonrpc"
	}
	return e, path
}
