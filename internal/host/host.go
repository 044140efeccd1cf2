// Package host is the plugin host: it holds the plugins by callsign, in the
// order they were registered, with their state. Faces ask it whether a
// plugin is active before serving the plugin's routes.
package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Plugin is a unit that owns data, routes and methods under a callsign.
type Plugin interface {
	Callsign() string  // unique, case-sensitive, e.g. "Netflix"
	ClassName() string // the implementation's name
	Version() string   // semantic version of its interface
}

// CustomerCareOperations is what a plugin that owns data implements. Its
// data live in the store the plugins share, and a factory reset wipes them
// there (Host.FactoryReset); the plugin is then told, so that it drops what
// it keeps about them in memory.
type CustomerCareOperations interface {
	DataWiped()
}

// Wiper deletes the data of the plugins named and writes one audit record
// per plugin, all in one transaction: all of them are wiped or none.
type Wiper func(ctx context.Context, actor string, callsigns []string) error

// ErrNotActive refuses a factory reset that names a deactivated plugin.
var ErrNotActive = errors.New("host: the plugin is not active")

// State is a plugin's state, spelled as Thunder spells it.
type State string

const (
	Activated   State = "Activated"
	Deactivated State = "Deactivated"
)

type entry struct {
	plugin Plugin
	active atomic.Bool // read on every request, so lock-free
}

// Host holds the plugins.
type Host struct {
	// Wipe is the store's factory reset; it is set before plugins serve.
	Wipe Wiper

	mu      sync.RWMutex
	order   []*entry
	plugins map[string]*entry
}

// New returns an empty host.
func New() *Host { return &Host{plugins: map[string]*entry{}} }

// Register adds p, activated. Callsigns are unique.
func (h *Host) Register(p Plugin) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.plugins[p.Callsign()]; dup {
		return fmt.Errorf("host: callsign %q is already registered", p.Callsign())
	}
	e := &entry{plugin: p}
	e.active.Store(true)
	h.plugins[p.Callsign()] = e
	h.order = append(h.order, e)
	return nil
}

func (h *Host) entry(callsign string) (*entry, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.plugins[callsign]
	return e, ok
}

// Plugin returns the plugin registered under callsign.
func (h *Host) Plugin(callsign string) (Plugin, bool) {
	e, ok := h.entry(callsign)
	if !ok {
		return nil, false
	}
	return e.plugin, true
}

// Active tells whether the plugin exists and is activated.
func (h *Host) Active(callsign string) bool {
	e, ok := h.entry(callsign)
	return ok && e.active.Load()
}

// SetState activates or deactivates a plugin and reports whether the state
// changed.
func (h *Host) SetState(callsign string, s State) (changed bool, err error) {
	if s != Activated && s != Deactivated {
		return false, fmt.Errorf("host: unknown state %q", s)
	}
	e, ok := h.entry(callsign)
	if !ok {
		return false, fmt.Errorf("host: no plugin %q", callsign)
	}
	want := s == Activated
	return e.active.Swap(want) != want, nil
}

// Info describes a registered plugin.
type Info struct {
	Callsign, ClassName, Version string
	State                        State
}

// Plugins lists every plugin in registration order.
func (h *Host) Plugins() []Info {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]Info, 0, len(h.order))
	for _, e := range h.order {
		st := Deactivated
		if e.active.Load() {
			st = Activated
		}
		out = append(out, Info{Callsign: e.plugin.Callsign(), ClassName: e.plugin.ClassName(), Version: e.plugin.Version(), State: st})
	}
	return out
}

// Resettable lists the plugins that own data, in registration order: what
// a reset of every plugin wipes.
func (h *Host) Resettable() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for _, e := range h.order {
		if _, ok := e.plugin.(CustomerCareOperations); ok {
			out = append(out, e.plugin.Callsign())
		}
	}
	return out
}

// FactoryReset wipes the data of the plugins named, in one transaction:
// when it fails, every plugin's data is as it was. A deactivated plugin
// does no work (Thunder answers its calls with ERROR_UNAVAILABLE), so a
// reset that names one is refused whole with ErrNotActive before anything
// is wiped: skipping it would report success while its data stays, to
// come back when the plugin is activated again. The check is not atomic
// with the wipe: a plugin deactivated while its reset is under way is
// still wiped, as if the reset had come first.
func (h *Host) FactoryReset(ctx context.Context, actor string, callsigns []string) error {
	plugins := make([]CustomerCareOperations, 0, len(callsigns))
	for _, c := range callsigns {
		e, ok := h.entry(c)
		if !ok {
			return fmt.Errorf("host: no plugin %q", c)
		}
		p, ok := e.plugin.(CustomerCareOperations)
		if !ok {
			return fmt.Errorf("host: plugin %q owns no data to reset", c)
		}
		if !e.active.Load() {
			return fmt.Errorf("%w: %s", ErrNotActive, c)
		}
		plugins = append(plugins, p)
	}
	if h.Wipe == nil {
		return errors.New("host: no store to wipe")
	}
	if err := h.Wipe(ctx, actor, callsigns); err != nil {
		return err
	}
	for _, p := range plugins {
		p.DataWiped()
	}
	return nil
}
