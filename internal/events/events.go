// Package events carries what one server process must tell every other
// process sharing its database: plugin events for WebSocket subscribers,
// plugin state changes, and credentials that ended (so that no replica
// keeps trusting a cached one).
package events

import (
	"context"
	"encoding/json"
)

// Kind says what a message is.
type Kind string

const (
	PluginEvent     Kind = "event"            // deliver Event with Params to the plugin's subscribers
	PluginState     Kind = "state"            // the plugin is now Active (or not)
	PluginReset     Kind = "reset"            // the plugin's data was wiped: drop what is cached of it
	SessionReleased Kind = "session-released" // a session's token (Token: its hash, hex) was released
	// CredentialsChanged: a user was disabled or given another role, or
	// an admin token revoked: check open connections' credentials again.
	CredentialsChanged Kind = "credentials-changed"
)

// Message is one thing every replica must learn.
type Message struct {
	Kind     Kind            `json:"kind"`
	Callsign string          `json:"callsign"`
	Event    string          `json:"event,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	Active   bool            `json:"active,omitempty"`
	Token    string          `json:"token,omitempty"`
	// Operator scopes a plugin event to the connections of one operator's
	// care agents; 0: every connection registered for it.
	Operator int64 `json:"operator,omitempty"`
}

// Bus reaches every replica, this one included. A single-process engine
// has none: the server delivers directly.
type Bus interface {
	// Publish sends a message to every replica.
	Publish(ctx context.Context, m Message) error
	// Listen delivers every published message until ctx ends. It calls
	// listening each time it starts to listen (again, after a lost
	// connection): what was published before may have been missed, so the
	// caller re-reads the state it keeps in the database then.
	Listen(ctx context.Context, listening func(), deliver func(Message)) error
}
