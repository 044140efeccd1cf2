package rpcapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"carebridge/internal/jsonrpc"
)

// Limits of one WebSocket connection.
const (
	maxInFlight  = 64               // requests being served at once; reading waits beyond it
	maxQueued    = 256              // answers and events waiting to be written; a peer this far behind is dropped
	writeTimeout = 10 * time.Second // a peer that does not read for this long is dropped
	pingInterval = 30 * time.Second // keeps idle connections alive and finds dead peers
)

func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// wsConn is one WebSocket: the Conn that events are pushed to. Everything
// it sends goes through a queue that one writer drains, so that neither a
// publisher of events nor the other connections ever wait on a slow peer:
// a peer whose queue fills up is disconnected.
type wsConn struct {
	c      *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	out    chan []byte
}

// send queues a message without blocking.
func (w *wsConn) send(b []byte) error {
	select {
	case w.out <- b:
		return nil
	case <-w.ctx.Done():
		return w.ctx.Err()
	default:
		// Too slow. Ending the context ends the read loop, whose deferred
		// CloseNow drops the peer; nothing here waits on it.
		w.cancel()
		return context.Canceled
	}
}

// writer writes queued messages until the connection ends.
func (w *wsConn) writer() {
	for {
		select {
		case <-w.ctx.Done():
			return
		case b := <-w.out:
			ctx, cancel := context.WithTimeout(w.ctx, writeTimeout)
			err := w.c.Write(ctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				w.cancel()
				return
			}
		}
	}
}

// Notify queues an event.
func (w *wsConn) Notify(method string, params any) error {
	b, err := jsonrpc.MarshalNotification(method, params)
	if err != nil {
		return err
	}
	return w.send(b)
}

// serveWebSocket upgrades after checking the ?token= admin token (403
// without one), then answers requests as they come, several at a time, in
// whatever order they finish.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request, callsign string) {
	ctx, ok := h.authenticate(r, r.URL.Query().Get("token"))
	if !ok {
		http.Error(w, "An admin token is required: ?token=<token>.", http.StatusForbidden)
		return
	}
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
		// The admin token in the URL is the credential, not a cookie, so
		// pages of any origin (care tools) may connect.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept has answered the client
	}
	defer c.CloseNow()
	c.SetReadLimit(MaxMessageBytes)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn := &wsConn{c: c, ctx: ctx, cancel: cancel, out: make(chan []byte, maxQueued)}
	defer h.dispatcher.Events.Drop(conn)
	go conn.writer()
	go func() {
		select {
		case <-h.closing:
			c.Close(websocket.StatusGoingAway, "server shutting down")
			cancel()
		case <-ctx.Done():
		}
	}()

	slots := make(chan struct{}, maxInFlight)
	go func() {
		t := time.NewTicker(pingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if len(slots) == cap(slots) {
					// Reading waits for a free slot, so a pong could not be
					// read now: busy is not dead.
					continue
				}
				pctx, pcancel := context.WithTimeout(ctx, writeTimeout)
				err := c.Ping(pctx)
				pcancel()
				if err != nil {
					c.Close(websocket.StatusGoingAway, "no pong")
					cancel()
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
				c.Close(websocket.StatusPolicyViolation, "read failed")
			}
			cancel()
			return
		}
		if typ != websocket.MessageText {
			c.Close(websocket.StatusUnsupportedData, "JSON-RPC messages are text")
			cancel()
			return
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		inflight.Add(1)
		go func() {
			defer func() { <-slots; inflight.Done() }()
			if answer := h.handle(ctx, msg, callsign, conn); answer != nil {
				conn.send(answer)
			}
		}()
	}
}
