// Package events carries what one server process must tell every other
// process sharing its database: plugin events for WebSocket subscribers,
// and plugin state changes.
package events

import (
	"context"
	"encoding/json"
)

// Kind says what a message is.
type Kind string

const (
	PluginEvent Kind = "event" // deliver Event with Params to the plugin's subscribers
	PluginState Kind = "state" // the plugin is now Active (or not)
)

// Message is one thing every replica must learn.
type Message struct {
	Kind     Kind            `json:"kind"`
	Callsign string          `json:"callsign"`
	Event    string          `json:"event,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	Active   bool            `json:"active,omitempty"`
}

// Bus reaches every replica, this one included. A single-process engine
// has none: the server delivers directly.
type Bus interface {
	// Publish sends a message to every replica.
	Publish(ctx context.Context, m Message) error
	// Listen delivers every published message until ctx ends.
	Listen(ctx context.Context, deliver func(Message)) error
}
