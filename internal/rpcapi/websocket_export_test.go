package rpcapi

import (
	"time"

	"carebridge/internal/jsonrpc"
)

// SetWebSocketWriteTimeout shortens how long one message may take to reach
// a WebSocket peer before the peer is dropped, so that a test need not wait
// the default 10 s. Open connections use it from their next write on.
func (h *Handler) SetWebSocketWriteTimeout(d time.Duration) {
	h.ws.writeTimeout.Store(int64(d))
}

// Served is what the plane's dispatcher answers, by callsign.
func (h *Handler) Served() []jsonrpc.Served { return h.dispatcher.Served() }
