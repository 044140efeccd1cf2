package jsonrpc

import (
	"reflect"
	"sync"
	"testing"
)

// batchConn records the events it takes whole.
type batchConn struct {
	mu      sync.Mutex
	batches []batch
	single  int // calls of Notify
}

type batch struct {
	ids    []string
	event  string
	params any
}

func (c *batchConn) Notify(string, any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.single++
	return nil
}

func (c *batchConn) NotifyIDs(ids []string, event string, params any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, batch{ids, event, params})
	return nil
}

// A connection that takes events whole gets one call per event with all
// its ids, in order; the others still get one notification per id.
func TestPublishBatchesIDs(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	b := &batchConn{}
	plain := &fakeConn{name: "plain"}
	for _, id := range []string{"c", "a", "b"} {
		e.Register(b, "Controller", "statechange", id)
		e.Register(plain, "Controller", "statechange", id)
	}
	e.Register(b, "Controller", "other", "x")
	params := map[string]string{"callsign": "OCP"}
	e.Publish("Controller", "statechange", params)

	want := []batch{{[]string{"a", "b", "c"}, "statechange", params}}
	if !reflect.DeepEqual(b.batches, want) || b.single != 0 {
		t.Fatalf("batches %+v and %d single notifications, want %+v", b.batches, b.single, want)
	}
	if got := methods(plain.take()); !reflect.DeepEqual(got, []string{"a.statechange", "b.statechange", "c.statechange"}) {
		t.Fatalf("plain connection got %v", got)
	}
}
