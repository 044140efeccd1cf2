package rpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge/internal/events"
	"carebridge/internal/server"
)

// logBuffer collects a server's log lines (JSON), for tests that look for one.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logTo makes a server log into b.
func logTo(b *logBuffer) option {
	return func(c *server.Config) { c.Log = slog.New(slog.NewJSONHandler(b, nil)) }
}

// records returns the log records with message msg.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	text := b.buf.String()
	b.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(text) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// awaitDrop waits for the log line of a dropped peer and returns it.
func (b *logBuffer) awaitDrop(t *testing.T) map[string]any {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		if r := b.records(t, "rpcapi: WebSocket peer dropped"); len(r) > 0 {
			if len(r) != 1 {
				t.Fatalf("%d drop lines for one peer: %v", len(r), r)
			}
			return r[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no peer was dropped within %v", waitFor)
	return nil
}

// rawDial opens a WebSocket with the admin token whose messages the test
// reads itself, or not at all.
func (e *env) rawDial() *websocket.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL("/jsonrpc", adminToken), &websocket.DialOptions{Subprotocols: []string{"notification"}})
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(4 << 20)
	e.t.Cleanup(func() { c.CloseNow() })
	return c
}

// smallDial is rawDial through a pipe kept small at both ends, the
// server's send buffer and the client's receive buffer: a peer that does
// not read fills it soon, and once dropped it has little to read before
// the close frame, which the server gives up on 5 s after the drop.
func (e *env) smallDial() *websocket.Conn {
	e.t.Helper()
	srv := httptest.NewUnstartedServer(e.app.Handler)
	srv.Listener = smallSendListener{srv.Listener}
	srv.Start()
	e.t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	d := &net.Dialer{Control: smallReceiveBuffer}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/jsonrpc?token=" + adminToken
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{"notification"}, HTTPClient: hc})
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(4 << 20)
	e.t.Cleanup(func() { c.CloseNow() })
	return c
}

// smallSendListener gives the connections it accepts a 4 KiB send buffer.
type smallSendListener struct{ net.Listener }

func (l smallSendListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096) // where it cannot, the pipe is only larger
	}
	return c, err
}

// pipeline writes n requests with ids 1…n without waiting for answers,
// while reading; every id must be answered exactly once, with its own
// answer.
func pipeline(c *websocket.Conn, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
	defer cancel()
	written := make(chan error, 1)
	go func() {
		for id := 1; id <= n; id++ {
			// Odd ids ask for a method that exists, even ones for one that
			// does not.
			method := "factoryReset"
			if id%2 == 0 {
				method = "reboot"
			}
			req := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"Netflix.1.exists","params":{"method":%q}}`, id, method)
			if err := c.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
				written <- fmt.Errorf("write %d: %w", id, err)
				return
			}
		}
		written <- nil
	}()
	seen := make([]bool, n+1)
	for got := 0; got < n; got++ {
		_, b, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("%d answers of %d, then %w", got, n, err)
		}
		var a struct {
			ID     int
			Result json.RawMessage
		}
		if err := json.Unmarshal(b, &a); err != nil || a.ID < 1 || a.ID > n || seen[a.ID] {
			return fmt.Errorf("unexpected answer %s", b)
		}
		if want := map[bool]string{true: "true", false: "false"}[a.ID%2 == 1]; string(a.Result) != want {
			return fmt.Errorf("answer %s, want result %s", b, want)
		}
		seen[a.ID] = true
	}
	return <-written
}

func TestWebSocketPipelinedThousands(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if err := pipeline(e.rawDial(), 5000); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketPipelinedManyConnections(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const conns, n = 100, 300
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		cs[i] = e.rawDial()
	}
	errs := make(chan error, conns)
	for i, c := range cs {
		go func() {
			if err := pipeline(c, n); err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
				return
			}
			errs <- nil
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// drainToClose reads what the server sent until the connection ends and
// returns the close status (-1 without a close frame) and the messages.
func drainToClose(t *testing.T, c *websocket.Conn) (websocket.StatusCode, [][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var msgs [][]byte
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection still open after %v", waitFor)
			}
			return websocket.CloseStatus(err), msgs
		}
		msgs = append(msgs, b)
	}
}

// isDropClose checks that a peer was dropped as not reading: a close frame
// of policy violation or try again later.
func isDropClose(t *testing.T, status websocket.StatusCode) {
	t.Helper()
	if status != websocket.StatusPolicyViolation && status != websocket.StatusTryAgainLater {
		t.Fatalf("close status %v, want %v or %v", status, websocket.StatusPolicyViolation, websocket.StatusTryAgainLater)
	}
}

// A peer that sends requests and never reads their answers is dropped once
// the server cannot write to it, with a close frame it gets when it reads
// again, and a log line. The server stops reading its requests meanwhile.
func TestWebSocketPeerNotReadingAnswers(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	e := setup(t, logTo(logs))
	// Long enough that a pause of a loaded machine is not taken for a
	// stall; the peer is dropped all the same, as it never reads.
	e.app.RPC.SetWebSocketWriteTimeout(time.Second)
	c := e.smallDial()
	// Statuses are long answers: the pipes fill up sooner.
	req := []byte(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`)
	sent := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 1_000_000; n++ {
			if c.Write(context.Background(), websocket.MessageText, req) != nil {
				break
			}
		}
		sent <- n
	}()
	r := e.awaitDropWith(logs, "not reading")
	if r["code"] != float64(websocket.StatusPolicyViolation) {
		t.Fatalf("drop logged with code %v, want 1008: %v", r["code"], r)
	}
	status, msgs := drainToClose(t, c)
	isDropClose(t, status)
	if len(msgs) == 0 {
		t.Fatal("no answer came before the close")
	}
	for _, m := range msgs {
		if a := parseAnswer(t, m); string(a.ID) != "1" || !a.HasResult {
			t.Fatalf("message %s, want an answer to id 1", m)
		}
	}
	select {
	case n := <-sent:
		if n < len(msgs) {
			t.Fatalf("%d answers to %d requests", len(msgs), n)
		}
	case <-time.After(waitFor):
		t.Fatal("the client's writes did not end with the connection")
	}
}

// awaitDropWith waits for the drop line and checks its reason.
func (e *env) awaitDropWith(logs *logBuffer, reasons ...string) map[string]any {
	e.t.Helper()
	r := logs.awaitDrop(e.t)
	for _, reason := range reasons {
		if r["reason"] == reason {
			return r
		}
	}
	e.t.Fatalf("drop logged with reason %v, want one of %q: %v", r["reason"], reasons, r)
	return nil
}

// register makes c register n ids for Controller's statechange, pipelined,
// and reads their answers.
func register(t *testing.T, c *websocket.Conn, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for i := range n {
		req := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"Controller.1.register","params":{"event":"statechange","id":"r%d"}}`, i+1, i)
		if err := c.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a := parseAnswer(t, b); a.Error != nil {
			t.Fatalf("register: %s", b)
		}
	}
}

// publish delivers statechange events numbered from..to-1 as the bus
// does: one after the other, from one goroutine.
func (e *env) publish(from, to int, pad string) {
	for i := from; i < to; i++ {
		params := fmt.Sprintf(`{"n":%d,"pad":%q}`, i, pad)
		e.app.RPC.Deliver(events.Message{Kind: events.PluginEvent, Callsign: "Controller", Event: "statechange", Params: json.RawMessage(params)})
	}
}

// A burst of events to a connection with the most registrations reaches it
// whole, in order for each id, however long it takes to read, while
// another connection that registered as much and does not read does not
// hold it up.
func TestWebSocketEventBurst(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const regs, burst = 256, 100
	reader := e.rawDial()
	register(t, reader, regs)
	idle := e.rawDial()
	register(t, idle, regs)

	type got struct {
		notes map[string][]int // numbers received per id
		err   error
	}
	done := make(chan got, 1)
	go func() {
		g := got{notes: map[string][]int{}}
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitFor)
		defer cancel()
		for range regs * burst {
			_, b, err := reader.Read(ctx)
			if err != nil {
				g.err = err
				break
			}
			var m struct {
				Method string
				Params struct{ N int }
			}
			if err := json.Unmarshal(b, &m); err != nil {
				g.err = fmt.Errorf("%s: %w", b, err)
				break
			}
			id := strings.TrimSuffix(m.Method, ".statechange")
			g.notes[id] = append(g.notes[id], m.Params.N)
		}
		done <- g
	}()
	e.publish(0, burst, "")
	var g got
	select {
	case g = <-done:
	case <-time.After(3 * waitFor):
		t.Fatal("the notifications did not arrive")
	}
	if g.err != nil {
		t.Fatal(g.err)
	}
	if len(g.notes) != regs {
		t.Fatalf("notifications for %d ids, want %d", len(g.notes), regs)
	}
	for i := range regs {
		ns := g.notes[fmt.Sprintf("r%d", i)]
		if len(ns) != burst {
			t.Fatalf("id r%d: %d notifications, want %d", i, len(ns), burst)
		}
		for j, n := range ns {
			if n != j {
				t.Fatalf("id r%d: notification %d is event %d", i, j, n)
			}
		}
	}
	// Nothing more: the next message is an answer.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := reader.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":7,"method":"Controller.1.exists","params":{"method":"status"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := reader.Read(ctx); err != nil {
		t.Fatal(err)
	} else {
		parseAnswer(t, b).isResult(t, "7", "true")
	}
}

// A connection that registers and does not read is dropped by an endless
// stream of events: what waits for it is bounded, however long the
// stream. It gets the close frame when it reads again.
func TestWebSocketEventsToPeerNotReading(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	e := setup(t, logTo(logs))
	c := e.smallDial()
	register(t, c, 256)
	// The default write timeout: what drops the peer is the bound.
	for i := 0; len(logs.records(t, "rpcapi: WebSocket peer dropped")) == 0; i += 10 {
		if i > 100_000 {
			t.Fatal("100 000 events to 256 registrations of a peer that does not read, and it is still there")
		}
		e.publish(i, i+10, "")
	}
	r := e.awaitDropWith(logs, "too many events waiting")
	if r["code"] != float64(websocket.StatusTryAgainLater) {
		t.Fatalf("drop logged with code %v, want 1013: %v", r["code"], r)
	}
	status, _ := drainToClose(t, c)
	isDropClose(t, status)
}

// A peer that does not read is dropped once a write to it stalls, even
// with room for its events: its close frame follows what was written.
func TestWebSocketEventsStall(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	e := setup(t, logTo(logs))
	c := e.smallDial()
	const regs, events = 16, 200
	register(t, c, regs)
	// Shortened only now: the peer reads its answers above, and from here
	// on it reads nothing, so any stall is one.
	e.app.RPC.SetWebSocketWriteTimeout(200 * time.Millisecond)
	// 3 200 notifications of 64 KiB fill any pipe, yet are far fewer than
	// the 32 768 that may wait: only the stall can drop the peer.
	pad := strings.Repeat("x", 64<<10)
	e.publish(0, events, pad)
	r := e.awaitDropWith(logs, "not reading")
	if r["code"] != float64(websocket.StatusPolicyViolation) {
		t.Fatalf("drop logged with code %v, want 1008: %v", r["code"], r)
	}
	status, _ := drainToClose(t, c)
	isDropClose(t, status)
}

func TestWebSocketBearerUpgrade(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		name, auth, token string
		want              int
	}{
		{"bearer header", "Bearer " + adminToken, "", http.StatusSwitchingProtocols},
		{"bearer scheme in lower case", "bearer " + adminToken, "", http.StatusSwitchingProtocols},
		{"query", "", adminToken, http.StatusSwitchingProtocols},
		{"another scheme besides the query", "Basic dXNlcjpwYXNz", adminToken, http.StatusSwitchingProtocols},
		{"neither", "", "", http.StatusForbidden},
		{"bad bearer", "Bearer not-the-token", "", http.StatusForbidden},
		{"empty bearer", "Bearer ", "", http.StatusForbidden},
		{"bad query", "", "not-the-token", http.StatusForbidden},
		{"bad bearer, good query", "Bearer not-the-token", adminToken, http.StatusForbidden},
		{"the token twice", "", adminToken + "&token=" + adminToken, http.StatusForbidden},
		{"a good token, then a bad one", "", adminToken + "&token=bogus", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			h := http.Header{}
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			c, res, err := websocket.Dial(ctx, e.wsURL("/jsonrpc", tc.token), &websocket.DialOptions{
				Subprotocols: []string{"notification"}, HTTPHeader: h,
			})
			if res == nil || res.StatusCode != tc.want {
				t.Fatalf("HTTP %v (%v), want %d", res, err, tc.want)
			}
			if tc.want != http.StatusSwitchingProtocols {
				if err == nil {
					t.Fatal("the upgrade was accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			req := []byte(`{"jsonrpc":"2.0","id":3,"method":"Controller.1.exists","params":{"method":"status"}}`)
			if err := c.Write(ctx, websocket.MessageText, req); err != nil {
				t.Fatal(err)
			}
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			parseAnswer(t, b).isResult(t, "3", "true")
		})
	}
}
