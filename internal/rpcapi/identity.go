package rpcapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
)

// identity is who calls the plane: an admin token, or a care agent's
// session. The credential is checked again on every call, so a token
// revoked or a user disabled is refused at once.
type identity struct {
	role    carebridge.Role
	name    string            // the admin token's name, or the agent's username
	admin   bool              // an admin token rather than a care session
	caller  carebridge.Caller // the care agent; zero for an admin token
	token   string            // the credential itself, to check it again
	expires time.Time         // zero: never
}

// actor names the identity in logs and the audit log.
func (id identity) actor() string {
	if id.admin {
		return "admin:" + id.name
	}
	return "care:" + id.name
}

type identityKey struct{}

func withIdentity(ctx context.Context, id identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// callerOf is the identity behind a call; ok is false outside a checked
// call.
func callerOf(ctx context.Context) (identity, bool) {
	id, ok := ctx.Value(identityKey{}).(identity)
	return id, ok
}

// touchEvery is how often an admin token's last use is written: the
// listing shows it to the minute, and a busy token costs no write per
// call.
const touchEvery = time.Minute

// lastTouch remembers when each admin token's last use was written.
type lastTouch struct {
	mu sync.Mutex
	at map[int64]time.Time
}

// due tells whether the token's use at now is to be written, and if so
// notes it. Tokens are few (created by hand), so the map stays small.
func (l *lastTouch) due(id int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[int64]time.Time{}
	}
	if prev, ok := l.at[id]; ok && now.Sub(prev) < touchEvery {
		return false
	}
	l.at[id] = now
	return true
}

// maxTokenBytes bounds what is hashed and looked up.
const maxTokenBytes = 256

// identify checks a credential: a care session's token (32 hex
// characters, the form of every session token) or an admin token (any
// other form, or one of that form that is no session's). ok is false for
// anything that is not a live credential of the plane; err is a failure
// to check.
func (h *Handler) identify(ctx context.Context, token string) (id identity, ok bool, err error) {
	if token == "" || len(token) > maxTokenBytes {
		return id, false, nil
	}
	if auth.LooksLikeToken(token) && h.cfg.Care != nil {
		ss, err := h.cfg.Care.Session(ctx, token)
		switch {
		case err == nil:
			return identity{role: ss.Caller.Role, name: ss.Caller.Username, caller: ss.Caller,
				token: token, expires: ss.ExpiresAt}, true, nil
		case carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED:
			return id, false, err
		}
	}
	t, err := h.cfg.Tenancy.AdminToken(ctx, auth.HashToken(token))
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	now := h.now()
	if !t.LiveAt(now) {
		return id, false, nil
	}
	if h.touched.due(t.ID, now) {
		if err := h.cfg.Tenancy.TouchAdminToken(ctx, t.ID, now); err != nil {
			h.log.WarnContext(ctx, "rpcapi: record admin token use", "name", t.Name, "err", err)
		}
	}
	return identity{role: t.Role, name: t.Name, admin: true, token: token, expires: t.ExpiresAt}, true, nil
}

// authenticate checks the credential of a request and puts its identity in
// the context.
func (h *Handler) authenticate(r *http.Request, token string) (context.Context, bool) {
	id, ok, err := h.identify(r.Context(), token)
	if err != nil {
		face.LogInternal(h.log, r, "rpcapi: credential lookup", err)
	}
	if !ok {
		return nil, false
	}
	return withIdentity(r.Context(), id), true
}
