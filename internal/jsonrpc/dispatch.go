package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
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
	Events   []string // the events it publishes: what register accepts
}

// CodeFailedRegistered is Thunder's answer (ERROR_FAILED_REGISTERED) to a
// register or unregister it refuses.
const CodeFailedRegistered = -31048

// errFailedRegistered carries Thunder's own message for the code.
var errFailedRegistered = &Error{Code: CodeFailedRegistered, Message: "Registration failed."}

// Conn is a connection that can receive notifications (a WebSocket).
// NotifyIDs takes an event once for all the ids it was registered under,
// each to be sent as "<id>.<event>", so that a burst to a connection with
// many registrations costs one entry per event, not one per id.
type Conn interface {
	NotifyIDs(ids []string, event string, params any) error
}

// Dispatcher routes calls to plugins and serves the built-in methods every
// plugin has: versions, exists, register, unregister.
type Dispatcher struct {
	mu      sync.RWMutex
	plugins map[string]*Plugin
	Active  func(callsign string) bool // nil: every plugin is active
	// Permit, when set, decides whether the caller of ctx may call a
	// method the plugin serves (built-ins included); a call it refuses
	// answers CodeNotAllowed before anything else is looked at.
	Permit func(ctx context.Context, p *Plugin, method string) bool
	Events *Events
	Log    *slog.Logger
	// Observer, when set, hears of every call Dispatch answers.
	Observer Observer
}

// Observer hears of answered calls: the method as "Callsign.method" when
// it is served (whichever version or path named it) or MethodUnknown, and
// the error code, 0 for a result. The label never holds what a client
// sent for a method that does not exist.
type Observer interface {
	Called(method string, code int)
}

// MethodUnknown is the method an Observer hears for a call of a method,
// callsign or version that is not served.
const MethodUnknown = "unknown"

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

// Publishes tells whether a callsign publishes an event.
func (d *Dispatcher) Publishes(callsign, event string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.plugins[callsign]
	return ok && slices.Contains(p.Events, event)
}

var builtins = map[string]bool{"versions": true, "exists": true, "register": true, "unregister": true}

// Served is what one callsign answers: its interface versions, every
// method (the built-ins included) and the events it publishes.
type Served struct {
	Callsign string
	Versions []int
	Methods  []string // sorted
	Events   []string
}

// Served lists what every callsign answers, sorted by callsign, so that a
// description of the plane can be checked against what is really served.
func (d *Dispatcher) Served() []Served {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Served, 0, len(d.plugins))
	for _, p := range d.plugins {
		methods := slices.Collect(maps.Keys(p.Methods))
		for name := range builtins {
			if !slices.Contains(methods, name) {
				methods = append(methods, name)
			}
		}
		slices.Sort(methods)
		out = append(out, Served{Callsign: p.Callsign, Versions: slices.Clone(p.Versions), Methods: methods, Events: slices.Clone(p.Events)})
	}
	slices.SortFunc(out, func(a, b Served) int { return strings.Compare(a.Callsign, b.Callsign) })
	return out
}

// Dispatch runs a request and returns its result or error. pathCallsign is
// the callsign of a /jsonrpc/<callsign> path, or "".
func (d *Dispatcher) Dispatch(ctx context.Context, req *Request, pathCallsign string, conn Conn) (any, *Error) {
	method, result, err := d.dispatch(ctx, req, pathCallsign, conn)
	if d.Observer != nil {
		code := 0
		if err != nil {
			code = err.Code
		}
		d.Observer.Called(method, code)
	}
	return result, err
}

// dispatch is Dispatch, naming the method it ran for the Observer.
func (d *Dispatcher) dispatch(ctx context.Context, req *Request, pathCallsign string, conn Conn) (string, any, *Error) {
	des, ok := ParseDesignator(req.Method, pathCallsign)
	if !ok {
		return MethodUnknown, nil, NewError(CodeUnknownMethod)
	}
	d.mu.RLock()
	p, ok := d.plugins[des.Callsign]
	d.mu.RUnlock()
	if !ok {
		return MethodUnknown, nil, NewError(CodeUnknownCallsign)
	}
	h, served := p.Methods[des.Method]
	method := MethodUnknown
	if served || builtins[des.Method] {
		method = p.Callsign + "." + des.Method
	}
	if method != MethodUnknown && d.Permit != nil && !d.Permit(ctx, p, des.Method) {
		return method, nil, NewError(CodeNotAllowed)
	}
	if des.Version != 0 && !contains(p.Versions, des.Version) {
		return method, nil, NewError(CodeUnsupportedVer)
	}
	if d.Active != nil && !d.Active(des.Callsign) {
		return method, nil, NewError(CodeNotActive)
	}
	if method == MethodUnknown {
		return method, nil, NewError(CodeUnknownMethod)
	}
	call := &Call{Designator: des, Params: req.Params, Conn: conn}
	var result any
	var err error
	if h != nil {
		result, err = h(ctx, call)
	} else {
		result, err = d.builtin(p, call)
	}
	return method, result, d.toError(ctx, err)
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
	case carebridge.ENOTFOUND:
		// The message says what was not found, in the caller's own
		// words: it is the same whether the thing exists for nobody or
		// for another tenant only.
		return &Error{Code: CodeUnknownKey, Message: carebridge.ErrorMessage(err)}
	case carebridge.ECONFLICT:
		return &Error{Code: CodeIllegalState, Message: carebridge.ErrorMessage(err)}
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

// builtin serves the methods every plugin has, answering as Thunder R5.3
// does.
func (d *Dispatcher) builtin(p *Plugin, c *Call) (any, error) {
	switch c.Method {
	case "versions":
		out := make([]versionJSON, 0, len(p.Versions))
		for _, v := range p.Versions {
			out = append(out, versionJSON{Name: "J" + p.Callsign, Major: v})
		}
		return out, nil
	case "exists":
		return exists(p, c)
	}
	// register and unregister deliver notifications to the connection
	// that asked, so they need one.
	var ps registerParams
	if err := c.Bind(&ps); err != nil || ps.Event == "" || ps.ID == "" {
		return nil, NewError(CodeInvalidParams)
	}
	if len(ps.Event) > MaxRegistrationBytes || len(ps.ID) > MaxRegistrationBytes {
		return nil, &Error{Code: CodeInvalidParams, Message: fmt.Sprintf("The event and the id are at most %d bytes each.", MaxRegistrationBytes)}
	}
	if c.Conn == nil {
		return nil, NewError(CodeNotAllowed)
	}
	// Thunder answers ERROR_FAILED_REGISTERED to every register it
	// refuses (an id already registered for the event on this connection,
	// or one a plugin turns down) and, in R5.3, to an unregister of what
	// was not registered too. An event the plugin does not publish is
	// refused, so that a misspelt name fails where the client can see it
	// (ThunderJS calls its error callback) rather than never firing.
	var ok bool
	if c.Method == "register" {
		ok = slices.Contains(p.Events, ps.Event) && d.Events.Register(c.Conn, p.Callsign, ps.Event, ps.ID)
	} else {
		ok = d.Events.Unregister(c.Conn, p.Callsign, ps.Event, ps.ID)
	}
	if !ok {
		return nil, errFailedRegistered
	}
	return nil, nil
}

// exists tells whether the plugin has a method, built-ins included: as
// true or false when asked {"method": name}, and in the older form, the
// name alone as a string, as 0 or ERROR_UNKNOWN_KEY. Without a name
// (params absent, null or {}) it is invalid params.
func exists(p *Plugin, c *Call) (any, error) {
	has := func(name string) bool {
		_, ok := p.Methods[name]
		return ok || builtins[name]
	}
	var name string
	if len(c.Params) > 0 && c.Params[0] == '"' {
		if err := json.Unmarshal(c.Params, &name); err != nil {
			return nil, NewError(CodeInvalidParams)
		}
		if has(name) {
			return 0, nil
		}
		return CodeUnknownKey, nil
	}
	var ps existsParams
	if c.Params == nil || c.Bind(&ps) != nil || ps.Method == "" {
		return nil, NewError(CodeInvalidParams)
	}
	return has(ps.Method), nil
}

func contains(vs []int, v int) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
