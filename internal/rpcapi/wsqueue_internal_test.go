package rpcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeWire stands for the socket of a wsConn: it takes every write, or
// holds each until released when block is set, and records the close.
type fakeWire struct {
	block chan struct{}

	mu     sync.Mutex
	writes int
	closes int
	code   websocket.StatusCode
	reason string
}

func (f *fakeWire) Write(context.Context, websocket.MessageType, []byte) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	return nil
}

func (f *fakeWire) Close(code websocket.StatusCode, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	f.code, f.reason = code, reason
	return nil
}

// syncBuffer collects log lines from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// drops returns the log lines of dropped peers.
func (b *syncBuffer) drops(t *testing.T) []map[string]any {
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
		if r["msg"] == "rpcapi: WebSocket peer dropped" {
			out = append(out, r)
		}
	}
	return out
}

// queueConn is a wsConn over a fakeWire, with a handler that logs into the
// returned buffer, so that it may drop its peer as a real one does.
func queueConn(t *testing.T) (*wsConn, *fakeWire, *syncBuffer) {
	logs := &syncBuffer{}
	h := &Handler{log: slog.New(slog.NewJSONHandler(logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	wire := &fakeWire{}
	return &wsConn{
		h: h, c: wire, ctx: ctx, cancel: cancel, remote: "test",
		slots:   make(chan struct{}, maxInFlight),
		answers: make(chan answer, maxInFlight),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		closed:  make(chan struct{}),
	}, wire, logs
}

// awaitDrops waits for n drop lines and returns them.
func (b *syncBuffer) awaitDrops(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if d := b.drops(t); len(d) >= n || time.Now().After(deadline) {
			return d
		}
		time.Sleep(time.Millisecond)
	}
}

// awaitClosed waits for the close handshake of a dropped peer.
func awaitClosed(t *testing.T, w *wsConn) {
	t.Helper()
	select {
	case <-w.closed:
	case <-time.After(15 * time.Second):
		t.Fatal("the peer was not closed")
	}
}

func registrations(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	return ids
}

// Up to maxPendingEvents notifications wait for a peer; one more drops it
// with 1013 and a log line, and it takes no event after that.
func TestEventQueueBound(t *testing.T) {
	t.Parallel()
	w, wire, logs := queueConn(t)
	ids := registrations(256)
	for i := range maxPendingEvents / 256 {
		if err := w.NotifyIDs(ids, fmt.Sprint("e", i), i); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if w.pending != maxPendingEvents || len(logs.drops(t)) != 0 {
		t.Fatalf("%d notifications waiting, %d drops", w.pending, len(logs.drops(t)))
	}
	if err := w.NotifyIDs([]string{"one-more"}, "e", nil); err != errNotReading {
		t.Fatalf("one notification over the bound: %v", err)
	}
	awaitClosed(t, w)
	if wire.closes != 1 || wire.code != websocket.StatusTryAgainLater || wire.reason != "too many events waiting" {
		t.Fatalf("closed %d times, last with %v %q", wire.closes, wire.code, wire.reason)
	}
	d := logs.drops(t)
	if len(d) != 1 || d[0]["code"] != float64(websocket.StatusTryAgainLater) || d[0]["events_waiting"] != float64(maxPendingEvents) {
		t.Fatalf("drop lines %v", d)
	}
	if err := w.NotifyIDs([]string{"later"}, "e", nil); err != errNotReading {
		t.Fatalf("an event after the drop: %v", err)
	}
	if _, _, ok := w.next(); ok {
		t.Fatal("the writer goes on after the drop")
	}
}

// However long events wait for a peer that reads, and however many are
// beyond what one write timeout can carry, it gets them all: only the
// bound on memory and a stalled write drop a peer.
func TestEventQueueHasNoAgeLimit(t *testing.T) {
	t.Parallel()
	w, wire, logs := queueConn(t)
	w.h.ws.writeTimeout.Store(int64(time.Millisecond))
	ids := registrations(256)
	const batches = maxPendingEvents / 256 / 2
	for i := range batches {
		if err := w.NotifyIDs(ids, fmt.Sprint("e", i), i); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	// Every event has now waited many write timeouts.
	time.Sleep(20 * time.Millisecond)
	for i := range batches * 256 {
		msg, isAnswer, ok := w.next()
		if !ok || isAnswer {
			t.Fatalf("notification %d: ok %v, answer %v", i, ok, isAnswer)
		}
		if want := fmt.Sprintf(`"method":"r%d.e%d"`, i%256, i/256); !strings.Contains(string(msg), want) {
			t.Fatalf("notification %d is %s, want %s", i, msg, want)
		}
		if i == 0 {
			if err := w.NotifyIDs(ids, "late", nil); err != nil {
				t.Fatalf("an event while old ones wait: %v", err)
			}
		}
	}
	if w.pending != 256 || wire.closes != 0 || len(logs.drops(t)) != 0 {
		t.Fatalf("%d waiting, closed %d times, drops %v", w.pending, wire.closes, logs.drops(t))
	}
}

// A write that makes no progress for the write timeout drops the peer with
// 1008 and a log line; the close frame waits for that write.
func TestWriterStallDrops(t *testing.T) {
	t.Parallel()
	w, wire, logs := queueConn(t)
	w.h.ws.writeTimeout.Store(int64(time.Millisecond))
	wire.block = make(chan struct{})
	done := make(chan struct{})
	go func() {
		w.writer()
		close(done)
	}()
	if err := w.NotifyIDs([]string{"a"}, "e", nil); err != nil {
		t.Fatal(err)
	}
	awaitClosed(t, w)
	wire.mu.Lock()
	code, reason := wire.code, wire.reason
	wire.mu.Unlock()
	if code != websocket.StatusPolicyViolation || reason != "not reading" {
		t.Fatalf("closed with %v %q", code, reason)
	}
	if d := logs.awaitDrops(t, 1); len(d) != 1 || d[0]["code"] != float64(websocket.StatusPolicyViolation) {
		t.Fatalf("drop lines %v", d)
	}
	close(wire.block)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the writer goes on after the drop")
	}
}

// Answers and events go out in the order they were queued.
func TestWriterOrder(t *testing.T) {
	t.Parallel()
	w, _, _ := queueConn(t)
	w.NotifyIDs([]string{"first"}, "e", nil)
	w.answers <- answer{seq: w.seq.Add(1), msg: []byte("answer")}
	w.NotifyIDs([]string{"a", "b"}, "after", nil)
	var got []string
	for range 4 {
		msg, _, ok := w.next()
		if !ok {
			t.Fatal("nothing to write")
		}
		got = append(got, string(msg))
	}
	want := []string{
		`{"jsonrpc":"2.0","method":"first.e","params":null}`,
		"answer",
		`{"jsonrpc":"2.0","method":"a.after","params":null}`,
		`{"jsonrpc":"2.0","method":"b.after","params":null}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("written %q, want %q", got, want)
	}
}

// A burst of events to the same registrations keeps one list of ids, so
// that a full queue costs little more than its events.
func TestEventQueueSharesIDs(t *testing.T) {
	t.Parallel()
	w, _, _ := queueConn(t)
	w.NotifyIDs(registrations(256), "statechange", nil)
	w.NotifyIDs(registrations(256), "statechange", nil)
	w.NotifyIDs(registrations(255), "statechange", nil)
	if &w.events[0].ids[0] != &w.events[1].ids[0] {
		t.Fatal("the same ids are kept twice")
	}
	if len(w.events[2].ids) != 255 || w.pending != 256+256+255 {
		t.Fatalf("other ids: %d, pending %d", len(w.events[2].ids), w.pending)
	}
}
