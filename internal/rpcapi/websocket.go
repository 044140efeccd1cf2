package rpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"carebridge/internal/face"
	"carebridge/internal/jsonrpc"
)

// Limits of one WebSocket connection. Answers need no limit of their own:
// a request keeps its slot until its answer is on the wire, and reading
// waits for a slot, so at most maxInFlight answers wait.
const (
	maxInFlight = 64 // requests read and not yet answered on the wire
	// maxPendingEvents bounds the notifications waiting for one peer, so
	// that the memory of a connection stays bounded whatever the
	// publishers do (params are shared, and a burst to the same ids keeps
	// one list of them). It is the only limit on events: a peer that reads
	// gets every event, however long its link takes to carry them, as long
	// as fewer than this many wait.
	maxPendingEvents    = 32768
	defaultWriteTimeout = 10 * time.Second // a message unwritten this long means the peer does not read
	pingInterval        = 30 * time.Second // keeps idle connections alive and finds dead peers
)

var errNotReading = errors.New("rpcapi: the WebSocket peer is not reading")

// wsSettings are a Handler's WebSocket settings. They are read each time
// they apply, so that a change reaches the connections already open.
type wsSettings struct {
	// writeTimeout is how long one message may take to reach a peer
	// before the peer is deemed not reading and dropped, in nanoseconds;
	// 0 is defaultWriteTimeout.
	writeTimeout atomic.Int64
}

func (h *Handler) wsWriteTimeout() time.Duration {
	if d := time.Duration(h.ws.writeTimeout.Load()); d > 0 {
		return d
	}
	return defaultWriteTimeout
}

func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// upgradeToken is the credential of an upgrade: an Authorization: Bearer
// header, which command-line clients send, or else ?token=, the only way
// a browser has. A Bearer header, when present, is the one that counts;
// a query naming two tokens names none.
func upgradeToken(r *http.Request) string {
	if token, ok := face.Bearer(r); ok {
		return token
	}
	// A token given twice is refused, rather than either one taken.
	if tokens := r.URL.Query()["token"]; len(tokens) == 1 {
		return tokens[0]
	}
	return ""
}

// wsWire is what a wsConn writes to: a *websocket.Conn, or a stand-in
// that lets the queue and the writer run without a socket.
type wsWire interface {
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
}

// wsConn is one WebSocket: the Conn that events are pushed to. One writer
// sends everything, answers and events in the order they were queued, so
// that neither a publisher nor another connection waits on this peer.
// A peer that reads gets every message however far behind it falls: its
// requests are not read while maxInFlight answers wait, and events wait
// in a queue. Only these drop a peer, each with a close frame and a log
// line: a write that makes no progress for the write timeout or a ping
// unanswered for as long (1008), and an event that would make more than
// maxPendingEvents notifications wait (1013).
type wsConn struct {
	h      *Handler
	c      wsWire
	ctx    context.Context
	cancel context.CancelFunc
	remote string
	// id is who the connection's credential names, refreshed when a role
	// changes; events of an operator reach its agents only.
	id atomic.Pointer[identity]

	slots   chan struct{} // one per request read and not yet answered on the wire
	answers chan answer   // as many as slots, so queueing an answer never blocks
	wake    chan struct{} // an event was queued
	stop    chan struct{} // closed when the connection ends: stop writing and reading
	ended   sync.Once
	closing bool          // set before stop is closed: a close handshake is under way
	closed  chan struct{} // closed when that handshake is over
	seq     atomic.Uint64 // orders answers and events as they were queued

	mu      sync.Mutex
	events  []*eventBatch // oldest first
	pending int           // notifications of events not yet taken

	held *answer // the writer's: taken from answers, not yet written
}

// answer is a response waiting for the writer.
type answer struct {
	seq uint64
	msg []byte
}

// eventBatch is one event for one or more ids: a notification of method
// id+suffix for each id, all with the same params.
type eventBatch struct {
	seq    uint64
	ids    []string
	suffix string
	params any
	next   int             // ids[:next] are taken
	raw    json.RawMessage // params, encoded by the writer once
	bad    bool            // params that cannot be encoded
}

// identity is who the connection's credential names now.
func (w *wsConn) identity() identity {
	if id := w.id.Load(); id != nil {
		return *id
	}
	return identity{}
}

// NotifyIDs queues an event for every id it was registered under,
// without blocking.
func (w *wsConn) NotifyIDs(ids []string, event string, params any) error {
	if len(ids) == 0 {
		return nil
	}
	b := &eventBatch{ids: ids, suffix: "." + event, params: params}
	w.mu.Lock()
	select {
	case <-w.stop:
		w.mu.Unlock()
		return errNotReading
	default:
	}
	if w.pending+len(b.ids) > maxPendingEvents {
		w.mu.Unlock()
		w.drop(dropTooManyEvents)
		return errNotReading
	}
	if n := len(w.events); n > 0 && slices.Equal(w.events[n-1].ids, b.ids) {
		// A burst to the same registrations keeps one list of ids.
		b.ids = w.events[n-1].ids
	}
	b.seq = w.seq.Add(1)
	w.events = append(w.events, b)
	w.pending += len(b.ids)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// takeEvent returns the next notification when its event was queued
// before seq; ok is false when there is none.
func (w *wsConn) takeEvent(before uint64) (b *eventBatch, method string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.events) == 0 || w.events[0].seq > before {
		return nil, "", false
	}
	b = w.events[0]
	method = b.ids[b.next] + b.suffix
	b.next++
	w.pending--
	if b.next == len(b.ids) {
		w.events[0] = nil
		w.events = w.events[1:]
	}
	return b, method, true
}

// next returns the next message to write, whichever of the answers and
// events was queued first; ok is false once the connection ends.
func (w *wsConn) next() (msg []byte, isAnswer, ok bool) {
	for {
		select {
		case <-w.stop:
			return nil, false, false
		default:
		}
		if w.held == nil {
			select {
			case a := <-w.answers:
				w.held = &a
			default:
			}
		}
		before := uint64(math.MaxUint64)
		if w.held != nil {
			before = w.held.seq
		}
		if b, method, ok := w.takeEvent(before); ok {
			if msg := w.notification(b, method); msg != nil {
				return msg, false, true
			}
			continue
		}
		if w.held != nil {
			a := w.held
			w.held = nil
			return a.msg, true, true
		}
		select {
		case <-w.stop:
			return nil, false, false
		case a := <-w.answers:
			w.held = &a
		case <-w.wake:
		}
	}
}

// notification encodes one notification of b; nil when its params cannot
// be encoded, which is logged once.
func (w *wsConn) notification(b *eventBatch, method string) []byte {
	if b.raw == nil && !b.bad {
		raw, err := json.Marshal(b.params)
		if err != nil {
			b.bad = true
			w.h.log.ErrorContext(w.ctx, "rpcapi: event params cannot be encoded", "method", method, "err", err)
		}
		b.raw = raw
	}
	if b.bad {
		return nil
	}
	msg, err := jsonrpc.MarshalNotification(method, b.raw)
	if err != nil {
		return nil
	}
	return msg
}

// writer writes messages until the connection ends. A write that has not
// finished after the write timeout means the peer does not read: it is
// dropped. The write itself goes on, so that the close frame can follow it
// should the peer read again.
func (w *wsConn) writer() {
	stalled := time.AfterFunc(time.Hour, func() {
		w.drop(dropNotReading)
	})
	stalled.Stop()
	defer stalled.Stop()
	for {
		msg, isAnswer, ok := w.next()
		if !ok {
			return
		}
		stalled.Reset(w.h.wsWriteTimeout())
		err := w.c.Write(context.Background(), websocket.MessageText, msg)
		inTime := stalled.Stop()
		if isAnswer {
			<-w.slots
		}
		if !inTime {
			return // dropped: the close frame may go now
		}
		if err != nil {
			w.end()
			w.cancel()
			return
		}
	}
}

// end stops the writer and the reading of requests; only its first call
// returns true.
func (w *wsConn) end() bool { return w.finish(false) }

func (w *wsConn) finish(closing bool) bool {
	first := false
	w.ended.Do(func() {
		w.closing = closing
		close(w.stop)
		first = true
	})
	return first
}

// closeWith ends the connection with a close frame, unless it is ending
// already. The frame waits for the message being written, so Close runs
// on its own; settle waits for it.
func (w *wsConn) closeWith(code websocket.StatusCode, reason string) bool {
	if !w.finish(true) {
		return false
	}
	go func() {
		w.c.Close(code, reason)
		close(w.closed)
		w.cancel()
	}()
	return true
}

// settle ends the connection and waits for its close handshake, which
// the handler's CloseNow would cut short.
func (w *wsConn) settle() {
	w.end()
	if w.closing {
		<-w.closed
	}
}

// dropReason is why the server closes on a peer: the close frame's code
// and reason, and the reason label of the dropped-peers metric.
type dropReason struct {
	code  websocket.StatusCode
	text  string
	label string
}

var (
	dropNotReading    = dropReason{websocket.StatusPolicyViolation, "not reading", "not_reading"}
	dropNoPong        = dropReason{websocket.StatusPolicyViolation, "no pong", "no_pong"}
	dropTooManyEvents = dropReason{websocket.StatusTryAgainLater, "too many events waiting", "too_many_events"}
	dropBinary        = dropReason{websocket.StatusUnsupportedData, "JSON-RPC messages are text", "binary_message"}
	dropCredentials   = dropReason{websocket.StatusPolicyViolation, "credentials ended", "credentials_ended"}
)

// closeFor ends the connection for r with a close frame, unless it is ending
// already, and counts the peer as dropped; only its first call reports
// true.
func (w *wsConn) closeFor(r dropReason) bool {
	if !w.closeWith(r.code, r.text) {
		return false
	}
	if obs := w.h.cfg.Observer; obs != nil {
		obs.PeerDropped(r.label)
	}
	return true
}

// drop ends the connection of a peer that does not read, with a close
// frame and a log line.
func (w *wsConn) drop(r dropReason) {
	if !w.closeFor(r) {
		return
	}
	w.mu.Lock()
	pending := w.pending
	w.mu.Unlock()
	w.h.log.WarnContext(w.ctx, "rpcapi: WebSocket peer dropped", "reason", r.text, "code", int(r.code),
		"remote", w.remote, "caller", w.identity().actor(), "events_waiting", pending, "write_timeout", w.h.wsWriteTimeout())
}

// serveWebSocket upgrades after checking the credential (403 without
// one), then answers requests as they come, several at a time, in
// whatever order they finish. The credential is checked again before
// every call, and the connection closed once it has ended.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request, callsign string) {
	ctx, ok := h.authenticate(r, upgradeToken(r))
	if !ok {
		http.Error(w, "An admin token or a care session's token is required: ?token=<token> or Authorization: Bearer <token>.", http.StatusForbidden)
		return
	}
	id, _ := callerOf(ctx)
	if callsign != "" && !h.dispatcher.Has(callsign) {
		http.Error(w, "No plugin has that callsign.", http.StatusNotFound)
		return
	}
	select {
	case <-h.closing:
		http.Error(w, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	default:
	}
	h.sockets.Add(1)
	defer h.sockets.Done()
	// The server's read and write timeouts are for requests; a WebSocket
	// lives on, kept in check by its own pings and write timeout.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{"notification", "json"},
		// The admin token is the credential, not a cookie, so pages of
		// any origin (care tools) may connect.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the client
	}
	defer c.CloseNow()
	if obs := h.cfg.Observer; obs != nil {
		defer obs.WebSocketOpened()()
	}
	c.SetReadLimit(MaxMessageBytes)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn := &wsConn{
		h: h, c: c, ctx: ctx, cancel: cancel, remote: r.RemoteAddr,
		slots:   make(chan struct{}, maxInFlight),
		answers: make(chan answer, maxInFlight),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		closed:  make(chan struct{}),
	}
	conn.id.Store(&id)
	defer h.dispatcher.Events.Drop(conn)
	defer conn.settle()
	h.open.add(conn)
	defer h.open.remove(conn)
	go conn.writer()
	go func() {
		select {
		case <-h.closing:
			conn.closeWith(websocket.StatusGoingAway, "server shutting down")
		case <-ctx.Done():
		}
	}()

	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if len(conn.slots) == cap(conn.slots) {
					// Reading waits for a free slot, so a pong could not be
					// read now; the writer's timeout finds a peer that
					// does not read.
					continue
				}
				pctx, pcancel := context.WithTimeout(ctx, h.wsWriteTimeout())
				err := c.Ping(pctx)
				pcancel()
				if err != nil {
					conn.drop(dropNoPong)
					return
				}
			}
		}
	}()

	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 && ctx.Err() == nil {
				// The peer went without a close frame: its loss, not a
				// drop, so it is neither counted nor logged.
				conn.closeWith(websocket.StatusPolicyViolation, "read failed")
			}
			return
		}
		if typ != websocket.MessageText {
			conn.closeFor(dropBinary)
			return
		}
		select {
		case conn.slots <- struct{}{}:
		case <-conn.stop:
			return
		}
		select {
		case <-conn.stop:
			return
		default:
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			msg := h.handle(ctx, msg, callsign, conn, conn.check)
			if msg == nil {
				<-conn.slots // a notification: nothing to write
				return
			}
			// The slot is freed by the writer once the answer is out.
			conn.answers <- answer{seq: conn.seq.Add(1), msg: msg}
		}()
	}
}
