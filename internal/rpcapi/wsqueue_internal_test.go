package rpcapi

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func queueConn() *wsConn {
	return &wsConn{
		writeTimeout: time.Second,
		answers:      make(chan answer, maxInFlight),
		wake:         make(chan struct{}, 1),
		stop:         make(chan struct{}),
	}
}

func registrations(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	return ids
}

// Events beyond maxQueuedEvents wait for room, and only those are timed.
func TestEventQueueBound(t *testing.T) {
	t.Parallel()
	w := queueConn()
	ids := registrations(256)
	const batches = maxQueuedEvents/256 + 4
	for i := range batches {
		if err := w.NotifyIDs(ids, fmt.Sprint("e", i), i); err != nil {
			t.Fatal(err)
		}
	}
	if w.admitted != maxQueuedEvents/256 || w.queued != maxQueuedEvents || w.pending != batches*256 {
		t.Fatalf("admitted %d, queued %d, pending %d", w.admitted, w.queued, w.pending)
	}
	now := time.Now()
	if w.late(now) || !w.late(now.Add(w.writeTimeout+time.Millisecond)) {
		t.Fatal("an event waiting for room is timed from when it was published")
	}
	for i := range 256 {
		_, method, ok, _ := w.takeEvent(math.MaxUint64)
		if want := fmt.Sprintf("r%d.e0", i); !ok || method != want {
			t.Fatalf("notification %d is %q, want %q", i, method, want)
		}
	}
	// The first batch is out: the next waiting one is queued.
	if w.admitted != maxQueuedEvents/256 || w.queued != maxQueuedEvents || w.pending != (batches-1)*256 {
		t.Fatalf("after one batch: admitted %d, queued %d, pending %d", w.admitted, w.queued, w.pending)
	}
	for range (batches - 1) * 256 {
		if _, _, ok, _ := w.takeEvent(math.MaxUint64); !ok {
			t.Fatal("a notification went missing")
		}
	}
	if w.late(now.Add(time.Hour)) || w.pending != 0 || w.queued != 0 || len(w.events) != 0 {
		t.Fatalf("empty queue: admitted %d, queued %d, pending %d", w.admitted, w.queued, w.pending)
	}
}

// Answers and events go out in the order they were queued.
func TestWriterOrder(t *testing.T) {
	t.Parallel()
	w := queueConn()
	w.Notify("first", nil)
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
		`{"jsonrpc":"2.0","method":"first","params":null}`,
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
	w := queueConn()
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
