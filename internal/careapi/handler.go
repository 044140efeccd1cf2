// Package careapi is where care agents open and end their sessions on the
// care plane: POST /care/login and POST /care/logout. What they then call
// is the JSON-RPC plane (internal/rpcapi), with the session's token.
package careapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/middleware"
	"carebridge/internal/strict"
)

// Prefix is where the face is mounted.
const Prefix = "/care/"

// Routes of the face.
const (
	LoginRoute  = "POST /care/login"
	LogoutRoute = "POST /care/logout"
)

// maxBodyBytes bounds a login: three names and a password fit in far less.
const maxBodyBytes = 4 << 10

// Operators names a session's operator in the login's answer.
type Operators interface {
	OperatorByID(ctx context.Context, organisationID, id int64) (carebridge.Operator, error)
}

// Handler serves the face.
type Handler struct {
	sessions  *auth.Service // the care audience's
	operators Operators
	log       *slog.Logger
	mux       *http.ServeMux
	// Released, when set, is told of a session ended by a logout, so
	// that the plane closes the WebSockets opened with it here and on the
	// other replicas.
	Released func(ctx context.Context)
}

// New returns the face on the care audience's sessions.
func New(sessions *auth.Service, operators Operators, log *slog.Logger) *Handler {
	h := &Handler{sessions: sessions, operators: operators, log: log, mux: http.NewServeMux()}
	h.mux.HandleFunc(LoginRoute, h.login)
	h.mux.HandleFunc(LogoutRoute, h.logout)
	h.mux.HandleFunc(Prefix, h.unrouted)
	return h
}

// Routes returns the ServeMux patterns of the face's routes; under Prefix,
// anything else is answered 404, or 405 for a route's path with another
// method.
func (h *Handler) Routes() []string { return []string{LoginRoute, LogoutRoute} }

// ServeHTTP answers a request under Prefix. No answer of the face, a
// session's token or an error about one, is to be stored by a cache.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// loginMembers are the members of a login's body, each a non-empty
// string, in the order they are checked.
var loginMembers = []string{"organisation", "username", "password"}

// SessionJSON is the answer to a login.
type SessionJSON struct {
	Token        string          `json:"token"`
	ExpiresOn    string          `json:"expires_on"` // RFC 3339, UTC
	Role         carebridge.Role `json:"role"`
	Organisation string          `json:"organisation"`
	Operator     string          `json:"operator"`
}

// login opens a care session. Only care and supervisor users may: anyone
// else is answered as a wrong password is.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	in, err := h.readLogin(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	t, err := h.sessions.Login(r.Context(), in["organisation"], in["username"], in["password"], face.ClientAddress(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	op, err := h.operators.OperatorByID(r.Context(), t.Caller.OrganisationID, t.Caller.OperatorID)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		// The user's operator is gone: the data is broken, not the
		// request, which must not be answered as if it named nothing.
		err = fmt.Errorf("careapi: operator %d of user %d: %s", t.Caller.OperatorID, t.Caller.UserID, err)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	face.WriteJSON(w, http.StatusOK, SessionJSON{
		Token: t.Value, ExpiresOn: t.ExpiresAt.UTC().Format(time.RFC3339), Role: t.Caller.Role,
		Organisation: in["organisation"], Operator: op.Name,
	}, internalErrorBody)
}

// logout ends the session whose token is the Bearer credential.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	token, ok := face.Bearer(r)
	if !ok {
		h.writeError(w, r, carebridge.Errorf(carebridge.EUNAUTHORIZED, "The session's token is required: Authorization: Bearer <token>."))
		return
	}
	if err := h.sessions.Release(r.Context(), token); err != nil {
		h.writeError(w, r, err)
		return
	}
	if h.Released != nil {
		h.Released(r.Context())
	}
	w.WriteHeader(http.StatusNoContent)
}

// readLogin reads a login's body: a JSON object, read strictly (no
// member twice, no lone surrogates), in at most maxBodyBytes, whose
// members are exactly loginMembers, each a non-empty string. Member names
// are matched exactly, not in any case as encoding/json matches a
// struct's fields, so that "Organisation" is refused as any other
// unknown member is rather than read as a second organisation.
func (h *Handler) readLogin(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, carebridge.Errorf(errUnsupportedMediaType, "The body must be JSON (Content-Type: application/json).")
	}
	body, err := middleware.ReadBody(w, r, maxBodyBytes)
	if err != nil {
		if middleware.TooLarge(err) {
			return nil, carebridge.Errorf(carebridge.ETOOLARGE, "The body is larger than %d bytes.", maxBodyBytes)
		}
		return nil, carebridge.Errorf(carebridge.EINVALID, "The body could not be read.")
	}
	if err := strict.JSON(body); err != nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "The body is not valid JSON: %s", err.Error())
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "The body must be an object of organisation, username and password, each a string.")
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if !slices.Contains(loginMembers, name) {
			return nil, carebridge.Errorf(carebridge.EINVALID, "%s is not a member of a login, which takes organisation, username and password.", strconv.Quote(name))
		}
	}
	in := make(map[string]string, len(loginMembers))
	for _, name := range loginMembers {
		raw, ok := members[name]
		if !ok || string(raw) == "null" {
			return nil, carebridge.Errorf(carebridge.EMISSING, "%s is mandatory.", name)
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, carebridge.Errorf(carebridge.EINVALID, "%s must be a string.", name)
		}
		if s == "" {
			return nil, carebridge.Errorf(carebridge.EMISSING, "%s is mandatory.", name)
		}
		in[name] = s
	}
	return in, nil
}

// unrouted answers what no route took.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	for _, route := range h.Routes() {
		if r.URL.Path == route[len("POST "):] {
			w.Header().Set("Allow", "POST")
			h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "%s takes POST.", r.URL.Path))
			return
		}
	}
	h.writeError(w, r, carebridge.Errorf(carebridge.ENOTFOUND, "Not found."))
}

// isJSON tells whether a Content-Type is application/json, with or
// without parameters.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// retryAfter sets Retry-After for a throttled login.
func retryAfter(w http.ResponseWriter, err error) {
	if te, ok := throttled(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(te.Seconds()))
	}
}
