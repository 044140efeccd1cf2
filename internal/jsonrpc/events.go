package jsonrpc

import (
	"bytes"
	"maps"
	"slices"
	"sync"
)

// Events holds the event registrations of connections: a notification of
// a plugin's event goes only to the connections that registered for it,
// once per registered id, as "<id>.<event>".
type Events struct {
	mu   sync.Mutex
	subs map[eventKey]map[Conn]map[string]bool // → connection → ids
}

type eventKey struct{ callsign, event string }

// NewEvents returns an empty registry.
func NewEvents() *Events { return &Events{subs: map[eventKey]map[Conn]map[string]bool{}} }

// MaxRegistrations bounds what one connection may register, and
// MaxRegistrationBytes the event name and the id of each, so that its
// memory stays bounded (at most 128 KiB of names a connection).
const (
	MaxRegistrations     = 256
	MaxRegistrationBytes = 256
)

// Register subscribes conn to a plugin's event under id. It refuses
// (false) what conn has registered already, as Thunder does, and a
// connection that holds MaxRegistrations.
func (e *Events) Register(conn Conn, callsign, event, id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := eventKey{callsign, event}
	if e.subs[k][conn][id] || e.count(conn) >= MaxRegistrations {
		return false
	}
	if e.subs[k] == nil {
		e.subs[k] = map[Conn]map[string]bool{}
	}
	if e.subs[k][conn] == nil {
		e.subs[k][conn] = map[string]bool{}
	}
	e.subs[k][conn][id] = true
	return true
}

// count is how many registrations conn holds; the caller holds the lock.
func (e *Events) count(conn Conn) int {
	n := 0
	for _, conns := range e.subs {
		n += len(conns[conn])
	}
	return n
}

// Unregister removes one registration and tells whether there was one.
func (e *Events) Unregister(conn Conn, callsign, event, id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := eventKey{callsign, event}
	if !e.subs[k][conn][id] {
		return false
	}
	delete(e.subs[k][conn], id)
	if len(e.subs[k][conn]) == 0 {
		delete(e.subs[k], conn)
	}
	if len(e.subs[k]) == 0 {
		delete(e.subs, k)
	}
	return true
}

// Drop forgets every registration of a closed connection.
func (e *Events) Drop(conn Conn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, conns := range e.subs {
		delete(conns, conn)
		if len(conns) == 0 {
			delete(e.subs, k)
		}
	}
}

// Publish sends a plugin's event to every registered connection, once
// with all the ids it registered. NotifyIDs must not block (the WebSocket
// transport queues), so that one slow connection does not hold up the
// others; a connection that cannot take the event is skipped and its
// transport deals with it.
func (e *Events) Publish(callsign, event string, params any) {
	e.PublishTo(callsign, event, params, nil)
}

// PublishTo is Publish to the registered connections admit accepts (nil:
// all of them): an event about one tenant's data reaches only that
// tenant's connections.
func (e *Events) PublishTo(callsign, event string, params any, admit func(Conn) bool) {
	e.mu.Lock()
	subs := e.subs[eventKey{callsign, event}]
	if len(subs) == 0 {
		// An event nobody registered for costs only the lookup.
		e.mu.Unlock()
		return
	}
	targets := make(map[Conn][]string, len(subs))
	for conn, ids := range subs {
		if admit == nil || admit(conn) {
			targets[conn] = slices.Sorted(maps.Keys(ids))
		}
	}
	e.mu.Unlock()
	for conn, ids := range targets {
		conn.NotifyIDs(ids, event, params)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
