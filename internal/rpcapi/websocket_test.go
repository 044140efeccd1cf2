package rpcapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge/internal/rpcapi"
)

func TestWebSocketGolden(t *testing.T) {
	t.Parallel()
	for _, ex := range goldenExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			ws := e.dial("/jsonrpc", "notification")
			ws.write(ex.request)
			if got := ws.next(); string(got) != string(ex.response) {
				t.Fatalf("answer\n got: %s\nwant: %s", got, ex.response)
			}
			if subjects := e.auditSubjects(); len(subjects) == 0 {
				t.Fatal("the factory reset left no audit record: it did not run")
			}
		})
	}
}

func TestWebSocketErrors(t *testing.T) {
	t.Parallel()
	shared := setup(t)
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, path := c.env(t, shared)
			ws := e.dial(path, "notification")
			ws.roundTrip(c.request).isError(t, c.id, c.code, c.message)
			// The connection survives an error.
			method := "Controller.1.exists"
			if c.path != "" {
				method = "exists" // of the path's plugin
			}
			ws.roundTrip(`{"jsonrpc":"2.0","id":99,"method":"`+method+`","params":{"method":"versions"}}`).isResult(t, "99", "true")
			if c.check != nil {
				c.check(e)
			}
		})
	}
}

func TestWebSocketSubprotocols(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"notification"}, "notification"},
		{[]string{"json"}, "json"},
		{nil, ""},
	} {
		ws := e.dial("/jsonrpc", tc.offer...)
		if got := ws.c.Subprotocol(); got != tc.want {
			t.Fatalf("offered %q: negotiated %q, want %q", tc.offer, got, tc.want)
		}
		ws.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status@Netflix"}`).
			isResult(t, "1", `[{"callsign":"Netflix","classname":"Netflix","state":"Activated","version":"1.0.0"}]`)
	}
}

func TestWebSocketAuthentication(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/jsonrpc", "", http.StatusForbidden},
		{"/jsonrpc", "not-the-token", http.StatusForbidden},
		{"/jsonrpc", adminToken + "x", http.StatusForbidden},
		{"/jsonrpc/Netflix", "", http.StatusForbidden},
		{"/jsonrpc/Nobody", adminToken, http.StatusNotFound},
		{"/jsonrpc/netflix", adminToken, http.StatusNotFound},
	} {
		c, res, err := e.dialRaw(tc.path, tc.token, "notification")
		if err == nil {
			c.CloseNow()
			t.Fatalf("%s with token %q: the upgrade was accepted", tc.path, tc.token)
		}
		if res == nil || res.StatusCode != tc.want {
			status := 0
			if res != nil {
				status = res.StatusCode
			}
			t.Fatalf("%s with token %q: HTTP %d (%v), want %d", tc.path, tc.token, status, err, tc.want)
		}
	}
	// A bad token in an Authorization header is refused as well.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, res, err := websocket.Dial(ctx, e.wsURL("/jsonrpc", ""), &websocket.DialOptions{
		Subprotocols: []string{"notification"},
		HTTPHeader:   http.Header{"Authorization": {"Bearer not-the-token"}},
	})
	if err == nil {
		c.CloseNow()
		t.Fatal("a bad bearer token opened a WebSocket")
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("bad bearer token: %v, want 403", err)
	}
}

func TestWebSocketCallsignPath(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc/Netflix", "notification")
	ws.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"1.factoryReset"}`).isResult(t, "1", "null")
	ws.roundTrip(`{"jsonrpc":"2.0","id":2,"method":"factoryReset"}`).isResult(t, "2", "null")
	ws.roundTrip(`{"jsonrpc":"2.0","id":3,"method":"exists","params":{"method":"factoryreset"}}`).isResult(t, "3", "true")
	ws.roundTrip(`{"jsonrpc":"2.0","id":4,"method":"OCP.1.factoryReset"}`).isError(t, "4", -32601, msgUnknownMethod)
	if got := e.auditSubjects(); strings.Join(got, ",") != "Netflix,Netflix" {
		t.Fatalf("audit subjects = %v, want two Netflix resets", got)
	}
}

// notification is a decoded server-pushed message.
func notification(t *testing.T, raw []byte) (method string, params map[string]any) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	if _, hasID := m["id"]; hasID || len(m) != 3 || string(m["jsonrpc"]) != `"2.0"` {
		t.Fatalf("not a notification: %s", raw)
	}
	if err := json.Unmarshal(m["method"], &method); err != nil {
		t.Fatalf("method: %s", raw)
	}
	if err := json.Unmarshal(m["params"], &params); err != nil {
		t.Fatalf("params: %s", raw)
	}
	return method, params
}

// isStateChange checks one statechange notification exactly.
func isStateChange(t *testing.T, raw []byte, id, callsign, state string) {
	t.Helper()
	want := fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":{"callsign":%q,"state":%q,"reason":"Requested"}}`,
		id+".statechange", callsign, state)
	var g, w any
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("notification is not JSON: %s", raw)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("notification\n got: %s\nwant: %s", raw, want)
	}
}

func TestWebSocketStateChange(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	ws.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.register","params":{"event":"statechange","id":"client.Controller.events"}}`).
		isResult(t, "1", "null")
	other := e.dial("/jsonrpc", "json") // registers under another id
	other.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.register","params":{"event":"statechange","id":"care"}}`).
		isResult(t, "1", "null")
	silent := e.dial("/jsonrpc", "notification") // registers for nothing

	// Over HTTP, a different connection; the event is published before the
	// HTTP answer returns.
	e.must("Controller.1.deactivate", map[string]any{"callsign": "Netflix"})
	e.must("Controller.1.activate", map[string]any{"callsign": "Netflix"})
	isStateChange(t, ws.next(), "client.Controller.events", "Netflix", "Deactivated")
	isStateChange(t, ws.next(), "client.Controller.events", "Netflix", "Activated")
	isStateChange(t, other.next(), "care", "Netflix", "Deactivated")
	isStateChange(t, other.next(), "care", "Netflix", "Activated")

	// A request that changes nothing sends nothing.
	e.must("Controller.1.deactivate", map[string]any{"callsign": "OCP"})
	e.must("Controller.1.deactivate", map[string]any{"callsign": "OCP"})
	isStateChange(t, ws.next(), "client.Controller.events", "OCP", "Deactivated")
	ws.roundTrip(`{"jsonrpc":"2.0","id":2,"method":"Controller.1.status@OCP"}`).
		isResult(t, "2", `[{"callsign":"OCP","classname":"OCP","state":"Deactivated","version":"1.0.0"}]`)

	// The connection that did not register got nothing: the first message
	// it reads is the answer to its request.
	silent.roundTrip(`{"jsonrpc":"2.0","id":7,"method":"Controller.1.exists","params":{"method":"status"}}`).isResult(t, "7", "true")

	// After unregister, no more notifications.
	ws.roundTrip(`{"jsonrpc":"2.0","id":3,"method":"Controller.1.unregister","params":{"event":"statechange","id":"client.Controller.events"}}`).
		isResult(t, "3", "null")
	e.must("Controller.1.activate", map[string]any{"callsign": "OCP"})
	ws.roundTrip(`{"jsonrpc":"2.0","id":4,"method":"Controller.1.exists","params":{"method":"status"}}`).isResult(t, "4", "true")
	// The other registration still receives.
	isStateChange(t, other.next(), "care", "OCP", "Deactivated")
	isStateChange(t, other.next(), "care", "OCP", "Activated")
}

func TestStateChangeGatesRESTFaces(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	ws.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.register","params":{"event":"statechange","id":"client.Controller.events"}}`).
		isResult(t, "1", "null")
	const crm = "/crmapi/rest/v2/netflix/promotions/list?token=x"
	const ocp = "/v1/ocp/customers/ids"

	crmStatus := func() (int, string) {
		t.Helper()
		r := e.send(http.MethodGet, crm, "", nil)
		var env struct {
			Data   json.RawMessage
			Status struct{ Code string }
		}
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatalf("CRM.COM answer is not an envelope: %s", r.Body)
		}
		if r.Status != http.StatusOK && string(env.Data) != "{}" {
			t.Fatalf("CRM.COM error with data %s", env.Data)
		}
		return r.Status, env.Status.Code
	}
	ocpStatus := func() int {
		t.Helper()
		r := e.send(http.MethodGet, ocp, "", nil)
		var body struct{ Message string }
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Message == "" {
			t.Fatalf("OCP answer without a message: %s", r.Body)
		}
		return r.Status
	}

	// Active: the bad token is what is refused.
	if s, c := crmStatus(); s != http.StatusUnauthorized || c != "INVALID_TOKEN" {
		t.Fatalf("active Netflix: HTTP %d %s, want 401 INVALID_TOKEN", s, c)
	}
	if s := ocpStatus(); s != http.StatusUnauthorized {
		t.Fatalf("active OCP: HTTP %d, want 401", s)
	}

	e.must("Controller.1.deactivate", map[string]any{"callsign": "Netflix"})
	isStateChange(t, ws.next(), "client.Controller.events", "Netflix", "Deactivated")
	if s, c := crmStatus(); s != http.StatusServiceUnavailable || c != "SERVICE_UNAVAILABLE" {
		t.Fatalf("deactivated Netflix: HTTP %d %s, want 503 SERVICE_UNAVAILABLE", s, c)
	}
	if s := ocpStatus(); s != http.StatusUnauthorized {
		t.Fatalf("OCP answers %d while only Netflix is deactivated", s)
	}

	e.must("Controller.1.deactivate", map[string]any{"callsign": "OCP"})
	isStateChange(t, ws.next(), "client.Controller.events", "OCP", "Deactivated")
	if s := ocpStatus(); s != http.StatusServiceUnavailable {
		t.Fatalf("deactivated OCP: HTTP %d, want 503", s)
	}

	e.must("Controller.1.activate", map[string]any{"callsign": "Netflix"})
	e.must("Controller.1.activate", map[string]any{"callsign": "OCP"})
	isStateChange(t, ws.next(), "client.Controller.events", "Netflix", "Activated")
	isStateChange(t, ws.next(), "client.Controller.events", "OCP", "Activated")
	if s, c := crmStatus(); s != http.StatusUnauthorized || c != "INVALID_TOKEN" {
		t.Fatalf("reactivated Netflix: HTTP %d %s, want 401 INVALID_TOKEN", s, c)
	}
	if s := ocpStatus(); s != http.StatusUnauthorized {
		t.Fatalf("reactivated OCP: HTTP %d, want 401", s)
	}
}

func TestWebSocketPipelining(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	const n = 200
	// Odd ids ask something that exists, even ids something that does not:
	// each answer must be the answer to its own request.
	req := func(id int) string {
		if id%2 == 1 {
			return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"Netflix.1.exists","params":{"method":"factoryReset"}}`, id)
		}
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"Nobody.1.status"}`, id)
	}
	written := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		for id := 1; id <= n; id++ {
			if err := ws.c.Write(ctx, websocket.MessageText, []byte(req(id))); err != nil {
				written <- fmt.Errorf("write %d: %w", id, err)
				return
			}
		}
		written <- nil
	}()
	seen := make(map[int]int, n)
	for range n {
		a := ws.nextAnswer()
		var id int
		if err := json.Unmarshal(a.ID, &id); err != nil || id < 1 || id > n {
			t.Fatalf("answer with id %s", a.ID)
		}
		seen[id]++
		if id%2 == 1 {
			a.isResult(t, string(a.ID), "true")
		} else {
			a.isError(t, string(a.ID), -31043, msgUnknownCallsign)
		}
	}
	select {
	case err := <-written:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("the writes did not finish")
	}
	for id := 1; id <= n; id++ {
		if seen[id] != 1 {
			t.Fatalf("id %d answered %d times", id, seen[id])
		}
	}
	// Nothing more comes: the next message is the answer to a new request.
	ws.roundTrip(`{"jsonrpc":"2.0","id":1000,"method":"Controller.1.exists","params":{"method":"status"}}`).isResult(t, "1000", "true")
}

func TestWebSocketNotificationHasNoAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	ws.write(`{"jsonrpc":"2.0","method":"Controller.1.deactivate","params":{"callsign":"OCP"}}`)
	ws.write(`{"jsonrpc":"2.0","method":"Nobody.1.factoryReset"}`)
	ws.roundTrip(`{"jsonrpc":"2.0","id":5,"method":"Controller.1.exists","params":{"method":"status"}}`).isResult(t, "5", "true")
}

func TestWebSocketBinaryMessage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := ws.c.Write(ctx, websocket.MessageBinary, []byte(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := ws.closed(); got != websocket.StatusUnsupportedData {
		t.Fatalf("close status %v, want %v", got, websocket.StatusUnsupportedData)
	}
	stillActive("Netflix")(e)
}

func TestWebSocketMessageLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	deactivate := `{"jsonrpc":"2.0","id":1,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`

	// Exactly 1 MiB is served.
	ws := e.dial("/jsonrpc", "notification")
	ws.roundTrip(padded(t, `{"jsonrpc":"2.0","id":1,"method":"Controller.1.exists","params":{"method":"status"}}`, rpcapi.MaxMessageBytes)).
		isResult(t, "1", "true")

	// One byte more closes the connection, and the request does not run.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	// The server may close before the whole message is written.
	_ = ws.c.Write(ctx, websocket.MessageText, []byte(padded(t, deactivate, rpcapi.MaxMessageBytes+1)))
	if got := ws.closed(); got != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v, want %v", got, websocket.StatusMessageTooBig)
	}
	stillActive("Netflix")(e)
}

// thunderJS emulates the ThunderJS client library on the wire: a socket
// to ws://host:port/jsonrpc?token=<token> with the "notification"
// protocol, integer ids counting from 1, designators
// "<plugin>.<version>.<method>", params only when not empty, answers
// matched by a truthy id and settled by "result" in data (else rejected
// with data.error), notifications (no id, a method) dispatched to the
// listeners of "client.<plugin>.events.<event>".
type thunderJS struct {
	t         *testing.T
	ws        *wsClient
	lastID    int
	listeners map[string][]map[string]any // notifications received per listener id
}

type thunderReply struct {
	result  json.RawMessage
	err     *rpcError
	settled bool
}

func (tj *thunderJS) request(plugin string, version int, method string, params map[string]any) thunderReply {
	tj.t.Helper()
	tj.lastID++
	body := map[string]any{"jsonrpc": "2.0", "id": tj.lastID, "method": fmt.Sprintf("%s.%d.%s", plugin, version, method)}
	if len(params) > 0 {
		body["params"] = params
	}
	b, _ := json.Marshal(body)
	tj.ws.write(string(b))
	// Messages are handled in order: notifications go to listeners until
	// the answer to this request arrives.
	for {
		raw := tj.ws.next()
		var data map[string]json.RawMessage
		if err := json.Unmarshal(raw, &data); err != nil {
			tj.t.Fatalf("ThunderJS cannot JSON.parse %s", raw)
		}
		id, hasID := data["id"]
		if !hasID || string(id) == "null" || string(id) == "0" {
			// notificationListener
			var method string
			var params map[string]any
			if err := json.Unmarshal(data["method"], &method); err != nil || method == "" {
				tj.t.Fatalf("message with neither a truthy id nor a method: %s", raw)
			}
			json.Unmarshal(data["params"], &params)
			tj.listeners[method] = append(tj.listeners[method], params)
			continue
		}
		// requestQueueResolver
		var n int
		if err := json.Unmarshal(id, &n); err != nil || n != tj.lastID {
			tj.t.Fatalf("answer %s to no pending request (pending: %d)", raw, tj.lastID)
		}
		if result, ok := data["result"]; ok {
			return thunderReply{result: result, settled: true}
		}
		var e rpcError
		if err := json.Unmarshal(data["error"], &e); err != nil || e.Code == 0 || e.Message == "" {
			tj.t.Fatalf("rejection without an error code and message: %s", raw)
		}
		return thunderReply{err: &e, settled: true}
	}
}

func TestThunderJS(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// makeWebsocketAddress: protocol, host, ':' + port, endpoint, '?token='.
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	ws := e.dialURL("ws://"+addr+"/jsonrpc?token="+adminToken, "notification")
	if ws.c.Subprotocol() != "notification" {
		t.Fatalf("subprotocol %q, want notification", ws.c.Subprotocol())
	}
	tj := &thunderJS{t: t, ws: ws, listeners: map[string][]map[string]any{}}

	r := tj.request("Controller", 1, "status", nil)
	var plugins []map[string]any
	if r.err != nil || json.Unmarshal(r.result, &plugins) != nil || len(plugins) < 4 {
		t.Fatalf("Controller.1.status: %+v %s", r.err, r.result)
	}
	for _, p := range plugins {
		for _, k := range []string{"callsign", "classname", "state", "version"} {
			if s, ok := p[k].(string); !ok || s == "" {
				t.Fatalf("status entry without %s: %v", k, p)
			}
		}
	}
	if r := tj.request("Netflix", 1, "exists", map[string]any{"method": "factoryReset"}); r.err != nil || string(r.result) != "true" {
		t.Fatalf("Netflix.1.exists factoryReset: %+v %s", r.err, r.result)
	}
	if r := tj.request("Netflix", 1, "exists", map[string]any{"method": "reboot"}); r.err != nil || string(r.result) != "false" {
		t.Fatalf("Netflix.1.exists reboot: %+v %s", r.err, r.result)
	}
	// thunder.on('Controller', 'statechange', cb)
	if r := tj.request("Controller", 1, "register", map[string]any{"event": "statechange", "id": "client.Controller.events"}); r.err != nil || string(r.result) != "null" {
		t.Fatalf("register: %+v %s", r.err, r.result)
	}
	if r := tj.request("Controller", 1, "deactivate", map[string]any{"callsign": "Netflix"}); r.err != nil || string(r.result) != "null" {
		t.Fatalf("deactivate: %+v %s", r.err, r.result)
	}
	// A rejected promise: error with code and message.
	if r := tj.request("Netflix", 1, "factoryReset", nil); r.err == nil || r.err.Code != -31002 {
		t.Fatalf("factoryReset of a deactivated Netflix: %+v %s", r.err, r.result)
	}
	if r := tj.request("Controller", 1, "activate", map[string]any{"callsign": "Netflix"}); r.err != nil || string(r.result) != "null" {
		t.Fatalf("activate: %+v %s", r.err, r.result)
	}
	if r := tj.request("Netflix", 1, "factoryReset", nil); r.err != nil || string(r.result) != "null" {
		t.Fatalf("factoryReset: %+v %s", r.err, r.result)
	}
	// listener.dispose()
	if r := tj.request("Controller", 1, "unregister", map[string]any{"event": "statechange", "id": "client.Controller.events"}); r.err != nil || string(r.result) != "null" {
		t.Fatalf("unregister: %+v %s", r.err, r.result)
	}
	// The notification may arrive before or after the answer to the
	// request that caused it; by now both have arrived.
	got := tj.listeners["client.Controller.events.statechange"]
	want := []map[string]any{
		{"callsign": "Netflix", "state": "Deactivated", "reason": "Requested"},
		{"callsign": "Netflix", "state": "Activated", "reason": "Requested"},
	}
	if !reflect.DeepEqual(got, want) || len(tj.listeners) != 1 {
		t.Fatalf("statechange callbacks got %v (all: %v), want %v", got, tj.listeners, want)
	}
}
