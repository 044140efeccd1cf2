// Package rpcapi is the Thunder JSON-RPC 2.0 plane at /jsonrpc: HTTP POST
// and WebSocket transports, its callers (admin tokens and care agents'
// sessions) and what each role may call, the Controller and
// CustomerCareOperations plugins, the Netflix plugin's care methods and
// events, and factoryReset on every plugin that owns data (see the
// README's JSON-RPC plane and care plane sections).
package rpcapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"carebridge/internal/auth"
	"carebridge/internal/events"
	"carebridge/internal/face"
	"carebridge/internal/host"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/middleware"
	"carebridge/internal/netflix"
)

// Prefix is where the plane is mounted.
const Prefix = "/jsonrpc"

// MaxMessageBytes bounds a request, over HTTP or WebSocket.
const MaxMessageBytes = 1 << 20

// Config is what the plane needs from the server.
type Config struct {
	Tenancy      Platform      // admin tokens
	Care         *auth.Service // care agents' sessions; nil: admin tokens only
	Netflix      *netflix.Service
	Now          func() time.Time // nil: time.Now
	Host         *host.Host
	Log          *slog.Logger
	FactoryReset bool                                                // false: factoryReset answers -32604
	AfterReset   func(ctx context.Context, callsigns []string) error // after each reset, with the plugins it wiped
	// Publish tells every replica (this one included) about an event or a
	// state change; the server delivers what arrives through Deliver.
	Publish func(ctx context.Context, m events.Message) error
	// Observer, when set, hears of the plane's WebSockets, events and
	// calls.
	Observer Observer
}

// Observer hears what the plane does: the dispatcher's calls, messages
// that are not requests (method MethodInvalid), WebSockets opened and
// closed, peers dropped (reason as the dropped-peers metric labels it),
// and plugin events delivered to this replica's registrations.
type Observer interface {
	jsonrpc.Observer
	WebSocketOpened() (closed func())
	PeerDropped(reason string)
	EventDelivered(callsign, event string)
}

// MethodInvalid is the method an Observer hears for a message that could
// not be read as a request.
const MethodInvalid = "invalid"

// Handler serves the plane.
type Handler struct {
	cfg        Config
	host       *host.Host
	log        *slog.Logger
	dispatcher *jsonrpc.Dispatcher

	// WebSockets are hijacked connections, which http.Server.Shutdown
	// does not see: closing tells them to go, sockets waits for them.
	closing   chan struct{}
	closeOnce sync.Once
	sockets   sync.WaitGroup
	ws        wsSettings

	touched lastTouch
	open    openSockets
	recheck chan struct{} // a credential ended: check the open WebSockets' again
}

func (h *Handler) now() time.Time {
	if h.cfg.Now == nil {
		return time.Now()
	}
	return h.cfg.Now()
}

// CloseWebSockets closes every WebSocket with "going away" and waits for
// their handlers to end, or for ctx. New upgrades are refused from then on.
func (h *Handler) CloseWebSockets(ctx context.Context) error {
	h.closeOnce.Do(func() { close(h.closing) })
	done := make(chan struct{})
	go func() { h.sockets.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New builds the plane: Controller and CustomerCareOperations join the
// host, and every plugin gets its JSON-RPC interface.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, host: cfg.Host, log: cfg.Log, dispatcher: jsonrpc.NewDispatcher(cfg.Log),
		closing: make(chan struct{}), recheck: make(chan struct{}, 1)}
	h.dispatcher.Active = cfg.Host.Active
	h.dispatcher.Permit = permit
	if cfg.Observer != nil {
		h.dispatcher.Observer = cfg.Observer
	}
	for _, p := range []builtinPlugin{Controller, CustomerCareOperations} {
		if err := cfg.Host.Register(p); err != nil {
			return nil, err
		}
	}
	h.dispatcher.Add(h.controller())
	h.dispatcher.Add(h.customerCareOperations())
	for _, callsign := range cfg.Host.Resettable() {
		if callsign == netflix.Callsign {
			h.dispatcher.Add(h.netflixPlugin())
			continue
		}
		h.dispatcher.Add(h.resettable(callsign))
	}
	return h, nil
}

// Deliver applies a message published by any replica: a plugin event goes
// to this replica's registered connections, a state change to its host.
func (h *Handler) Deliver(m events.Message) {
	switch m.Kind {
	case events.PluginEvent:
		h.dispatcher.Events.PublishTo(m.Callsign, m.Event, m.Params, operatorOnly(m.Operator))
		// Only events a plugin publishes become labels, whatever else
		// the bus may carry.
		if h.cfg.Observer != nil && h.dispatcher.Publishes(m.Callsign, m.Event) {
			h.cfg.Observer.EventDelivered(m.Callsign, m.Event)
		}
	case events.PluginState:
		state := host.Deactivated
		if m.Active {
			state = host.Activated
		}
		h.host.SetState(m.Callsign, state)
	}
}

// operatorOnly admits the connections of one operator's care agents, or
// every connection for operator 0 (an event about no tenant's data, such
// as a plugin's state).
func operatorOnly(operator int64) func(jsonrpc.Conn) bool {
	if operator == 0 {
		return nil
	}
	return func(c jsonrpc.Conn) bool {
		w, ok := c.(*wsConn)
		if !ok {
			return false
		}
		id := w.identity()
		return !id.admin && id.caller.OperatorID == operator
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	callsign, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if ok && callsign != "" {
		callsign, ok = strings.CutPrefix(callsign, "/")
	}
	if !ok || strings.Contains(callsign, "/") {
		http.NotFound(w, r)
		return
	}
	if isWebSocket(r) {
		h.serveWebSocket(w, r, callsign)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, GET")
		http.Error(w, "JSON-RPC takes POST, or GET to open a WebSocket.", http.StatusMethodNotAllowed)
		return
	}
	token, _ := face.Bearer(r)
	ctx, ok := h.authenticate(r, token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="carebridge"`)
		http.Error(w, "An admin token or a care session's token is required: Authorization: Bearer <token>.", http.StatusUnauthorized)
		return
	}
	if callsign != "" && !h.dispatcher.Has(callsign) {
		http.Error(w, "No plugin has the callsign "+strconv.Quote(callsign)+".", http.StatusNotFound)
		return
	}
	body, err := middleware.ReadBody(w, r, MaxMessageBytes)
	if err != nil {
		if middleware.TooLarge(err) {
			http.Error(w, "The request is larger than 1 MiB.", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "The request could not be read.", http.StatusBadRequest)
		return
	}
	answer := h.handle(ctx, body, callsign, nil, nil)
	if answer == nil {
		w.WriteHeader(http.StatusNoContent) // a notification
		return
	}
	face.WriteRawJSON(w, http.StatusOK, answer)
}

// handle decodes, dispatches and encodes one message; nil means no answer
// (a notification). check, when set, checks the caller's credential
// again before the call and gives the context to run it in, or the error
// to answer instead.
func (h *Handler) handle(ctx context.Context, msg []byte, callsign string, conn jsonrpc.Conn, check func(context.Context) (context.Context, *jsonrpc.Error)) []byte {
	req, derr := jsonrpc.Decode(msg)
	if derr != nil {
		var id *uint32
		if req != nil {
			id = req.ID
		}
		if h.cfg.Observer != nil {
			h.cfg.Observer.Called(MethodInvalid, derr.Code)
		}
		return jsonrpc.MarshalResponse(id, nil, derr)
	}
	if check != nil {
		var cerr *jsonrpc.Error
		if ctx, cerr = check(ctx); cerr != nil {
			if req.Notification() {
				return nil
			}
			return jsonrpc.MarshalResponse(req.ID, nil, cerr)
		}
	}
	result, err := h.dispatcher.Dispatch(ctx, req, callsign, conn)
	if req.Notification() {
		return nil
	}
	return jsonrpc.MarshalResponse(req.ID, result, err)
}
