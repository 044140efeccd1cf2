package jsonrpc

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// note is one notification a fakeConn received.
type note struct {
	method string
	params any
}

// fakeConn records notifications, one per id; err, when set, is returned
// by NotifyIDs after recording.
type fakeConn struct {
	name  string
	err   error
	mu    sync.Mutex
	notes []note
}

func (c *fakeConn) NotifyIDs(ids []string, event string, params any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.notes = append(c.notes, note{id + "." + event, params})
	}
	return c.err
}

// take returns and forgets the notifications received so far.
func (c *fakeConn) take() []note {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.notes
	c.notes = nil
	return n
}

// methods returns the sorted methods of notes.
func methods(notes []note) []string {
	out := make([]string, 0, len(notes))
	for _, n := range notes {
		out = append(out, n.method)
	}
	slices.Sort(out)
	return out
}

func TestPublishReachesOnlyRegistered(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a := &fakeConn{name: "a"}
	b := &fakeConn{name: "b"}
	c := &fakeConn{name: "c"}
	idle := &fakeConn{name: "idle"}
	e.Register(a, "Controller", "statechange", "client.Controller.events")
	e.Register(b, "Controller", "other", "client.Controller.events")
	e.Register(c, "Netflix", "statechange", "client.Netflix.events")

	params := map[string]string{"callsign": "Netflix", "state": "Activated", "reason": "Requested"}
	e.Publish("Controller", "statechange", params)

	got := a.take()
	if len(got) != 1 {
		t.Fatalf("a received %d notifications; want 1: %+v", len(got), got)
	}
	if got[0].method != "client.Controller.events.statechange" {
		t.Errorf("method = %q; want %q", got[0].method, "client.Controller.events.statechange")
	}
	if !reflect.DeepEqual(got[0].params, params) {
		t.Errorf("params = %#v; want %#v", got[0].params, params)
	}
	for _, other := range []*fakeConn{b, c, idle} {
		if n := other.take(); len(n) != 0 {
			t.Errorf("%s received %+v; it did not register for Controller statechange", other.name, n)
		}
	}
}

func TestPublishCaseSensitive(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a := &fakeConn{}
	e.Register(a, "Controller", "statechange", "x")
	e.Publish("controller", "statechange", nil)
	e.Publish("Controller", "stateChange", nil)
	if n := a.take(); len(n) != 0 {
		t.Errorf("received %+v for a callsign or event of another case", n)
	}
	e.Publish("Controller", "statechange", nil)
	if n := a.take(); len(n) != 1 {
		t.Errorf("received %d; want 1", len(n))
	}
}

func TestPublishOncePerID(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a := &fakeConn{}
	e.Register(a, "Controller", "statechange", "x")
	e.Register(a, "Controller", "statechange", "y")
	e.Register(a, "Controller", "statechange", "y") // again: still once
	e.Publish("Controller", "statechange", 7)
	got := a.take()
	if want := []string{"x.statechange", "y.statechange"}; !slices.Equal(methods(got), want) {
		t.Errorf("methods = %v; want %v", methods(got), want)
	}
	for _, n := range got {
		if n.params != 7 {
			t.Errorf("params = %#v; want 7", n.params)
		}
	}
}

func TestPublishSameIDOnTwoConnections(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a, b := &fakeConn{}, &fakeConn{}
	e.Register(a, "Controller", "statechange", "client")
	e.Register(b, "Controller", "statechange", "client")
	e.Publish("Controller", "statechange", "p")
	for name, c := range map[string]*fakeConn{"a": a, "b": b} {
		if got := methods(c.take()); !slices.Equal(got, []string{"client.statechange"}) {
			t.Errorf("%s received %v; want [client.statechange]", name, got)
		}
	}
}

func TestPublishWithoutRegistrations(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a := &fakeConn{}
	e.Publish("Controller", "statechange", nil) // nobody: no panic
	e.Register(a, "Controller", "statechange", "x")
	e.Publish("Netflix", "statechange", nil)
	if n := a.take(); len(n) != 0 {
		t.Errorf("received %+v", n)
	}
}

func TestPublishSkipsFailingConnection(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	broken := &fakeConn{err: errors.New("closed")}
	good := &fakeConn{}
	e.Register(broken, "Controller", "statechange", "b")
	e.Register(good, "Controller", "statechange", "g")
	for range 3 { // map order varies: the failing one comes first sometimes
		e.Publish("Controller", "statechange", nil)
	}
	if got := len(good.take()); got != 3 {
		t.Errorf("good connection received %d; want 3", got)
	}
	if got := len(broken.take()); got != 3 {
		t.Errorf("failing connection was tried %d times; want 3", got)
	}
}

func TestUnregister(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a := &fakeConn{}
	e.Register(a, "Controller", "statechange", "x")
	e.Register(a, "Controller", "statechange", "y")
	e.Unregister(a, "Controller", "statechange", "x")
	e.Publish("Controller", "statechange", nil)
	if got := methods(a.take()); !slices.Equal(got, []string{"y.statechange"}) {
		t.Errorf("after unregistering x: %v; want [y.statechange]", got)
	}
	e.Unregister(a, "Controller", "statechange", "y")
	e.Publish("Controller", "statechange", nil)
	if n := a.take(); len(n) != 0 {
		t.Errorf("after unregistering everything: %+v", n)
	}
	// Registering again after the last id went works.
	e.Register(a, "Controller", "statechange", "z")
	e.Publish("Controller", "statechange", nil)
	if got := methods(a.take()); !slices.Equal(got, []string{"z.statechange"}) {
		t.Errorf("after registering again: %v; want [z.statechange]", got)
	}
}

func TestUnregisterUnknownIsHarmless(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a, b := &fakeConn{}, &fakeConn{}
	e.Unregister(a, "Controller", "statechange", "x") // nothing registered
	e.Register(a, "Controller", "statechange", "x")
	e.Unregister(a, "Controller", "statechange", "other-id")
	e.Unregister(a, "Controller", "other-event", "x")
	e.Unregister(a, "Netflix", "statechange", "x")
	e.Unregister(b, "Controller", "statechange", "x") // another connection
	e.Publish("Controller", "statechange", nil)
	if got := methods(a.take()); !slices.Equal(got, []string{"x.statechange"}) {
		t.Errorf("received %v; want [x.statechange]", got)
	}
}

func TestDrop(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a, b := &fakeConn{}, &fakeConn{}
	e.Register(a, "Controller", "statechange", "x")
	e.Register(a, "Controller", "statechange", "y")
	e.Register(a, "Netflix", "reset", "x")
	e.Register(b, "Controller", "statechange", "x")
	e.Drop(a)
	e.Publish("Controller", "statechange", nil)
	e.Publish("Netflix", "reset", nil)
	if n := a.take(); len(n) != 0 {
		t.Errorf("dropped connection received %+v", n)
	}
	if got := methods(b.take()); !slices.Equal(got, []string{"x.statechange"}) {
		t.Errorf("other connection received %v; want [x.statechange]", got)
	}
	e.Drop(a)           // twice: harmless
	e.Drop(&fakeConn{}) // never registered: harmless
	e.Register(a, "Netflix", "reset", "again")
	e.Publish("Netflix", "reset", nil)
	if got := methods(a.take()); !slices.Equal(got, []string{"again.reset"}) {
		t.Errorf("after registering again: %v", got)
	}
}

func TestEventsConcurrent(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	const workers, rounds = 8, 200
	conns := make([]*fakeConn, workers)
	for i := range conns {
		conns[i] = &fakeConn{name: strconv.Itoa(i)}
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for r := range rounds {
				id := "id" + strconv.Itoa(r%5)
				e.Register(c, "Controller", "statechange", id)
				e.Register(c, "Netflix", "ev"+strconv.Itoa(i%3), id)
				if r%3 == 0 {
					e.Unregister(c, "Controller", "statechange", id)
				}
				if r%7 == 0 {
					e.Drop(c)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for r := range rounds {
				e.Publish("Controller", "statechange", r)
				e.Publish("Netflix", "ev"+strconv.Itoa(r%3), r)
			}
		}()
	}
	wg.Wait()
	// Every notification received is one this connection registered for.
	for i, c := range conns {
		allowed := map[string]bool{}
		for r := range 5 {
			id := "id" + strconv.Itoa(r)
			allowed[id+".statechange"] = true
			allowed[id+".ev"+strconv.Itoa(i%3)] = true
		}
		for _, n := range c.take() {
			if !allowed[n.method] {
				t.Errorf("conn %s received %q, which it never registered for", c.name, n.method)
			}
		}
	}
	// After dropping everyone, nothing is delivered any more.
	for _, c := range conns {
		e.Drop(c)
	}
	e.Publish("Controller", "statechange", nil)
	for i := range 3 {
		e.Publish("Netflix", "ev"+strconv.Itoa(i), nil)
	}
	for _, c := range conns {
		if n := c.take(); len(n) != 0 {
			t.Errorf("conn %s received %d notifications after Drop", c.name, len(n))
		}
	}
	// And the registry still works.
	e.Register(conns[0], "Controller", "statechange", "final")
	e.Publish("Controller", "statechange", nil)
	if got := methods(conns[0].take()); !slices.Equal(got, []string{"final.statechange"}) {
		t.Errorf("after the storm: %v; want [final.statechange]", got)
	}
}

// One connection may hold at most MaxRegistrations; re-registering what it
// holds is refused (it is not counted twice), and other connections are not
// affected.
func TestRegisterIsBounded(t *testing.T) {
	t.Parallel()
	e := NewEvents()
	a, b := &capConn{id: 1}, &capConn{id: 2}
	for i := range MaxRegistrations {
		if !e.Register(a, "P", "ev", fmt.Sprint("id-", i)) {
			t.Fatalf("registration %d refused", i)
		}
	}
	if e.Register(a, "P", "ev", "one-more") {
		t.Fatal("a registration over the limit was accepted")
	}
	if e.Register(a, "P", "ev", "id-0") {
		t.Fatal("re-registering a held registration was accepted")
	}
	if !e.Register(b, "P", "ev", "x") {
		t.Fatal("another connection was refused")
	}
	e.Unregister(a, "P", "ev", "id-1")
	if !e.Register(a, "Q", "other", "new") {
		t.Fatal("a freed slot could not be used")
	}
}

type capConn struct{ id int } // not zero-size: distinct pointers are distinct keys

func (*capConn) NotifyIDs([]string, string, any) error { return nil }
