package rpcapi

import (
	"context"
	"sync"
	"time"

	"carebridge/internal/jsonrpc"
)

// openSockets are the WebSockets open on this replica, whose credentials
// are checked again when one may have ended.
type openSockets struct {
	mu    sync.Mutex
	conns map[*wsConn]struct{}
}

func (o *openSockets) add(c *wsConn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.conns == nil {
		o.conns = map[*wsConn]struct{}{}
	}
	o.conns[c] = struct{}{}
}

func (o *openSockets) remove(c *wsConn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.conns, c)
}

func (o *openSockets) list() []*wsConn {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]*wsConn, 0, len(o.conns))
	for c := range o.conns {
		out = append(out, c)
	}
	return out
}

// errCredentialsEnded answers a call made on a WebSocket whose credential
// has expired; the connection is closed after it.
var errCredentialsEnded = jsonrpc.NewError(jsonrpc.CodeNotAllowed)

// check runs before each call on the connection, in memory: the call runs
// as whoever the credential names now (the watcher refreshes it when a
// role changes), and a credential past its expiry closes the connection.
// One that was revoked, disabled or logged out is found by the watcher,
// which closes the connection; reading the store on every call would cost
// more than the call.
func (w *wsConn) check(ctx context.Context) (context.Context, *jsonrpc.Error) {
	id := w.identity()
	if !id.expires.IsZero() && !w.h.now().Before(id.expires) {
		w.closeFor(dropCredentials)
		return ctx, errCredentialsEnded
	}
	return withIdentity(ctx, id), nil
}

// credentialPoll is how often the store's count of ended credentials is
// read: the longest a change made by another process without a bus (the
// command line, on SQLite) takes to reach the WebSockets it concerns.
const credentialPoll = 250 * time.Millisecond

// RecheckCredentials asks for the open WebSockets' credentials to be
// checked again now: a session ended, or another replica announced a
// change. It never blocks.
func (h *Handler) RecheckCredentials() {
	select {
	case h.recheck <- struct{}{}:
	default:
	}
}

// WatchCredentials closes WebSockets whose credential has ended, until
// ctx ends: those that expired, at the next poll; those revoked, disabled
// or given a role that is not admitted, as soon as the store's count of
// such changes moves (read every credentialPoll) or RecheckCredentials is
// called. changed, when set, is called when the count moves, so that the
// server drops what it caches of sessions too.
func (h *Handler) WatchCredentials(ctx context.Context, changed func()) {
	t := time.NewTicker(credentialPoll)
	defer t.Stop()
	last, err := h.cfg.Tenancy.CredentialGeneration(ctx)
	if err != nil && ctx.Err() == nil {
		h.log.WarnContext(ctx, "rpcapi: read credential changes", "err", err)
	}
	for {
		recheck := false
		select {
		case <-ctx.Done():
			return
		case <-h.recheck:
			recheck = true
		case <-t.C:
		}
		if gen, err := h.cfg.Tenancy.CredentialGeneration(ctx); err != nil {
			if ctx.Err() == nil {
				h.log.WarnContext(ctx, "rpcapi: read credential changes", "err", err)
			}
		} else if gen != last {
			last, recheck = gen, true
			if changed != nil {
				changed()
			}
		}
		h.sweep(ctx, recheck)
	}
}

// sweep closes the WebSockets whose credential has expired and, when
// recheck is set, those whose credential the store no longer accepts; the
// others go on as whoever their credential names now (a role may have
// changed).
func (h *Handler) sweep(ctx context.Context, recheck bool) {
	now := h.now()
	for _, c := range h.open.list() {
		id := c.identity()
		if !id.expires.IsZero() && !now.Before(id.expires) {
			h.endSocket(ctx, c, "expired")
			continue
		}
		if !recheck {
			continue
		}
		switch fresh, ok, err := h.identify(ctx, id.token); {
		case err != nil:
			// Checked again at the next change or poll.
			h.log.WarnContext(ctx, "rpcapi: check a WebSocket's credential", "caller", id.actor(), "err", err)
		case !ok:
			h.endSocket(ctx, c, "no longer accepted: revoked, disabled, logged out or its role changed")
		default:
			c.id.Store(&fresh)
		}
	}
}

// endSocket closes a WebSocket whose credential has ended.
func (h *Handler) endSocket(ctx context.Context, c *wsConn, why string) {
	if c.closeFor(dropCredentials) {
		h.log.InfoContext(ctx, "rpcapi: WebSocket closed: its credential ended", "why", why, "caller", c.identity().actor(), "remote", c.remote)
	}
}
