package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"carebridge"
	"carebridge/internal/middleware"
)

// Call is one method invocation.
type Call struct {
	Designator
	Params json.RawMessage // nil when absent
	Conn   Conn            // the WebSocket connection; nil over HTTP POST
}

// Bind decodes the params into v; absent params decode as {}. Unknown
// fields and wrong types are invalid params.
func (c *Call) Bind(v any) error {
	p := c.Params
	if p == nil {
		p = []byte("{}")
	}
	dec := json.NewDecoder(bytesReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return NewError(CodeInvalidParams)
	}
	return nil
}

// Handler is one method of a plugin.
type Handler func(ctx context.Context, c *Call) (any, error)

// Plugin is a callsign's JSON-RPC interface.
type Plugin struct {
	Callsign string
	Versions []int // interface versions served; a designator may name one
	Methods  map[string]Handler
}

// Conn is a connection that can receive notifications (a WebSocket).
type Conn interface {
	Notify(method string, params any) error
}

// Dispatcher routes calls to plugins and serves the built-in methods every
// plugin has: versions, exists, register, unregister.
type Dispatcher struct {
	mu      sync.RWMutex
	plugins map[string]*Plugin
	Active  func(callsign string) bool // nil: every plugin is active
	Events  *Events
	Log     *slog.Logger
}

// NewDispatcher returns an empty dispatcher.
func NewDispatcher(log *slog.Logger) *Dispatcher {
	return &Dispatcher{plugins: map[string]*Plugin{}, Events: NewEvents(), Log: log}
}

// Add registers a plugin's interface.
func (d *Dispatcher) Add(p *Plugin) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plugins[p.Callsign] = p
}

// Has tells whether a callsign is served.
func (d *Dispatcher) Has(callsign string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.plugins[callsign]
	return ok
}

var builtins = map[string]bool{"versions": true, "exists": true, "register": true, "unregister": true}

// Dispatch runs a request and returns its result or error. pathCallsign is
// the callsign of a /jsonrpc/<callsign> path, or "".
func (d *Dispatcher) Dispatch(ctx context.Context, req *Request, pathCallsign string, conn Conn) (any, *Error) {
	des, ok := ParseDesignator(req.Method, pathCallsign)
	if !ok {
		return nil, NewError(CodeUnknownMethod)
	}
	d.mu.RLock()
	p, ok := d.plugins[des.Callsign]
	d.mu.RUnlock()
	if !ok {
		return nil, NewError(CodeUnknownCallsign)
	}
	if des.Version != 0 && !contains(p.Versions, des.Version) {
		return nil, NewError(CodeUnsupportedVer)
	}
	if d.Active != nil && !d.Active(des.Callsign) {
		return nil, NewError(CodeNotActive)
	}
	call := &Call{Designator: des, Params: req.Params, Conn: conn}
	var result any
	var err error
	if h, ok := p.Methods[des.Method]; ok {
		result, err = h(ctx, call)
	} else if builtins[des.Method] {
		result, err = d.builtin(p, call)
	} else {
		return nil, NewError(CodeUnknownMethod)
	}
	return result, d.toError(ctx, err)
}

// toError maps a handler's error to a JSON-RPC error.
func (d *Dispatcher) toError(ctx context.Context, err error) *Error {
	if err == nil {
		return nil
	}
	var je *Error
	if errors.As(err, &je) {
		return je
	}
	switch carebridge.ErrorCode(err) {
	case carebridge.EINVALID, carebridge.EMISSING:
		return &Error{Code: CodeInvalidParams, Message: carebridge.ErrorMessage(err)}
	case carebridge.EFORBIDDEN:
		return NewError(CodeNotAllowed)
	case carebridge.EUNAVAILABLE:
		// Busy (a replica holds what this needs), not deactivated: the
		// caller may try again.
		return &Error{Code: CodeInternal, Message: carebridge.ErrorMessage(err)}
	}
	// A call that failed because its client went away (the request or
	// the WebSocket closed) is not the server's failure.
	if d.Log != nil && !middleware.ClientGone(ctx) {
		d.Log.ErrorContext(ctx, "jsonrpc: internal error", "err", err)
	}
	return NewError(CodeInternal)
}

type versionJSON struct {
	Name  string `json:"name"`
	Major int    `json:"major"`
	Minor int    `json:"minor"`
	Patch int    `json:"patch"`
}

type existsParams struct {
	Method string `json:"method"`
}

type registerParams struct {
	Event string `json:"event"`
	ID    string `json:"id"`
}

func (d *Dispatcher) builtin(p *Plugin, c *Call) (any, error) {
	switch c.Method {
	case "versions":
		out := make([]versionJSON, 0, len(p.Versions))
		for _, v := range p.Versions {
			out = append(out, versionJSON{Name: "J" + p.Callsign, Major: v})
		}
		return out, nil
	case "exists":
		var ps existsParams
		if err := c.Bind(&ps); err != nil || ps.Method == "" {
			return nil, NewError(CodeInvalidParams)
		}
		_, ok := p.Methods[ps.Method]
		return ok || builtins[ps.Method], nil
	}
	// register and unregister deliver notifications to the connection
	// that asked, so they need one.
	var ps registerParams
	if err := c.Bind(&ps); err != nil || ps.Event == "" || ps.ID == "" {
		return nil, NewError(CodeInvalidParams)
	}
	if c.Conn == nil {
		return nil, NewError(CodeNotAllowed)
	}
	if c.Method == "register" {
		if !d.Events.Register(c.Conn, p.Callsign, ps.Event, ps.ID) {
			return nil, NewError(CodeNotAllowed)
		}
	} else {
		d.Events.Unregister(c.Conn, p.Callsign, ps.Event, ps.ID)
	}
	return 0, nil
}

func contains(vs []int, v int) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
