package jsonrpc

import (
	"reflect"
	"sync"
	"testing"
)

// batchConn records the events it takes.
type batchConn struct {
	mu      sync.Mutex
	batches []batch
}

type batch struct {
	ids    []string
	event  string
	params any
}

func (c *batchConn) NotifyIDs(ids []string, event string, params any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, batch{ids, event, params})
	return nil
}

// A connection gets one call per event with all its ids, in order, and
// nothing of the events it did not register for.
func TestPublishBatchesIDs(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	b := &batchConn{}
	for _, id := range []string{"c", "a", "b"} {
		e.Register(b, "Controller", "statechange", id)
	}
	e.Register(b, "Controller", "other", "x")
	params := map[string]string{"callsign": "OCP"}
	e.Publish("Controller", "statechange", params)

	want := []batch{{[]string{"a", "b", "c"}, "statechange", params}}
	if !reflect.DeepEqual(b.batches, want) {
		t.Fatalf("batches %+v, want %+v", b.batches, want)
	}
}

// An event nobody registered for allocates nothing, however many other
// registrations there are.
func TestPublishUnregisteredEventAllocatesNothing(t *testing.T) {
	e := NewEvents()
	for i := range 8 {
		e.Register(&capConn{id: i}, "Controller", "other", "x")
	}
	if n := testing.AllocsPerRun(100, func() { e.Publish("Controller", "statechange", nil) }); n != 0 {
		t.Fatalf("%v allocations per publish", n)
	}
}
