// Package crmapi is the CRM.COM Web API face: the Netflix methods under
// /crmapi/rest/v2/, their envelope and their error model (see the README's
// Errors section).
package crmapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/host"
	"carebridge/internal/idempotency"
	"carebridge/internal/middleware"
	"carebridge/internal/netflix"
)

// Prefix is where the face is mounted.
const Prefix = "/crmapi/rest/v2/"

// MaxBodyBytes bounds a POST body.
const MaxBodyBytes = 1 << 20

// Handler serves the face.
type Handler struct {
	auth    *auth.Service
	netflix *netflix.Service
	idem    *idempotency.Service // nil: Idempotency-Key is checked, then ignored
	host    *host.Host
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []string // the methods' ServeMux patterns, in registration order
}

// New returns the face's handler; idem runs the POST methods named by an
// Idempotency-Key once.
func New(a *auth.Service, n *netflix.Service, idem *idempotency.Service, h *host.Host, log *slog.Logger) *Handler {
	hd := &Handler{auth: a, netflix: n, idem: idem, host: h, log: log, mux: http.NewServeMux()}
	hd.route("POST", "authentication/token", "", public, hd.login)
	hd.route("POST", "authentication/web_api_key/token", "", byKey, hd.loginWithKey)
	hd.route("POST", "authentication/token/release", "", public, hd.release)
	hd.route("GET", "netflix/promotions/list", netflix.Callsign, signedIn, hd.listPromotions)
	hd.route("GET", "netflix/subscriptions/show", netflix.Callsign, signedIn, hd.showSubscription)
	hd.route("POST", "netflix/subscriptions/create", netflix.Callsign, signedIn, hd.createSubscription)
	hd.route("POST", "netflix/subscriptions/suspend", netflix.Callsign, signedIn, hd.transition(netflix.ActionSuspend))
	hd.route("POST", "netflix/subscriptions/unsuspend", netflix.Callsign, signedIn, hd.transition(netflix.ActionUnsuspend))
	hd.route("POST", "netflix/subscriptions/cancel", netflix.Callsign, signedIn, hd.transition(netflix.ActionCancel))
	hd.route("GET", "netflix/charges/list", netflix.Callsign, signedIn, hd.listCharges)
	hd.route("POST", "netflix/charges/acknowledge", netflix.Callsign, signedIn, hd.acknowledgeCharges)
	hd.route("POST", "netflix/charges/accept", netflix.Callsign, signedIn, hd.decideCharges("accepted_charges_set", (*netflix.Service).AcceptCharges))
	hd.route("POST", "netflix/charges/decline", netflix.Callsign, signedIn, hd.decideCharges("declined_charges_set", (*netflix.Service).DeclineCharges))
	hd.route("POST", "netflix/operators/register_devices", netflix.Callsign, signedIn, hd.devices((*netflix.Service).RegisterDevices))
	hd.route("POST", "netflix/operators/unregister_devices", netflix.Callsign, signedIn, hd.devices((*netflix.Service).UnregisterDevices))
	hd.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		hd.writeError(w, r, carebridge.Errorf(carebridge.ENOTFOUND, "There is no method %s.", strings.TrimPrefix(r.URL.Path, Prefix)))
	})
	return hd
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Routes returns the ServeMux patterns of the face's methods ("POST
// /crmapi/rest/v2/authentication/token", ...). Under Prefix, what none of
// them takes is answered 404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED for a
// method's path called with another HTTP method.
func (h *Handler) Routes() []string { return slices.Clone(h.routes) }

type access int

const (
	public   access = iota
	signedIn        // a session token is required
	byKey           // the credential is in the Authorization header: the body may be empty
)

// call is one invocation of a method: its parameters and, for signed-in
// methods, who is calling.
type call struct {
	*params
	caller carebridge.Caller
	r      *http.Request
}

// method is the body of one API method. It reads its parameters, calls
// done() before acting, and returns the envelope's data.
type method func(ctx context.Context, c *call) (any, error)

// IdempotencyKeyHeader names a POST request for idempotent retries.
const IdempotencyKeyHeader = "Idempotency-Key"

// ReplayedHeader marks an answer replayed for a repeated Idempotency-Key.
const ReplayedHeader = "Idempotent-Replayed"

// route mounts a method: it answers 405 for other HTTP methods, 503 when the
// owning plugin is deactivated, reads the parameters, checks the token and
// writes the envelope.
func (h *Handler) route(verb, path, plugin string, acc access, fn method) {
	h.routes = append(h.routes, verb+" "+Prefix+path)
	h.mux.HandleFunc(verb+" "+Prefix+path, func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		writeAnswer(w, h.serve(w, r, path, plugin, acc, fn))
	})
	h.mux.HandleFunc(Prefix+path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", verb)
		h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "%s is called with %s, not %s.", path, verb, r.Method))
	})
}

// serve answers one call of a method. A signed-in POST with an
// Idempotency-Key runs once per user and key: a repeat is answered what
// the first was, byte for byte, and does nothing. The login methods have
// no user to keep keys for yet: a valid key is accepted and ignored
// (logging in twice does no harm, and a released token stays released).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, path, plugin string, acc access, fn method) answer {
	c, key, err := h.prepare(w, r, plugin, acc)
	if err != nil {
		return h.errorAnswer(w, r, err)
	}
	if key == "" || acc != signedIn || h.idem == nil {
		return h.run(w, r, c, fn)
	}
	ticket, replay, err := h.idem.Begin(r.Context(), c.caller.UserID, key, fingerprint(path, c))
	if err != nil {
		return h.errorAnswer(w, r, err)
	}
	if replay != nil {
		w.Header().Set(ReplayedHeader, "true")
		return answer{replay.Status, replay.Body}
	}
	settled := false
	defer func() {
		if !settled { // a panic: the key is let go, and the panic goes on
			h.abandon(r, ticket)
		}
	}()
	a := h.run(w, r, c, fn)
	// Settled before the client is answered: once it has the answer, a
	// retry must find it. Failures of the server (500, a busy database's
	// 503), and the few answers too large to keep, are not kept: a retry
	// runs again.
	if idempotency.Stored(a.status, len(a.body)) {
		if err := h.idem.Finish(r.Context(), ticket, idempotency.Answer{Status: a.status, Body: a.body}); err != nil {
			h.log.WarnContext(r.Context(), "crmapi: store an idempotent answer", "key", key, "err", err)
		}
	} else {
		h.abandon(r, ticket)
	}
	settled = true
	return a
}

// fingerprint identifies what a call asks for: its method and its
// parameters' values, but not the session token, which a client that
// logged in again between retries sends anew (the key is kept per user
// anyway). A parameter given null is one not given, as the methods read
// them; members are taken in name order, strings unescaped and numbers by
// value (100, 1e2 and 100.0 alike), so that the same request written
// otherwise by another JSON library is the same request.
func fingerprint(path string, c *call) []byte {
	params := make(map[string]any, len(c.raw))
	for name, raw := range c.raw {
		if name == "token" || string(raw) == "null" {
			continue
		}
		params[name] = canonicalJSON(raw)
	}
	canonical, err := json.Marshal(params)
	if err != nil { // values decoded from JSON encode again
		panic(err)
	}
	return idempotency.Fingerprint(path, canonical)
}

// canonicalJSON decodes a value read from valid JSON with each number
// written as its exact value in one form.
func canonicalJSON(raw json.RawMessage) any {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return string(raw) // cannot happen: the body was parsed already
	}
	return canonicalNumbers(v)
}

func canonicalNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return canonicalNumber(v)
	case map[string]any:
		for k, e := range v {
			v[k] = canonicalNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = canonicalNumbers(e)
		}
	}
	return v
}

// canonicalNumber writes a JSON number as digits without leading or
// trailing zeros and a power of ten: 100, 1e2 and 100.0 are all 1e2. It
// works on the text, never computing the power, so that an exponent of a
// billion costs nothing.
func canonicalNumber(n json.Number) json.Number {
	s := string(n)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mantissa, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err != nil || e > 1<<40 || e < -(1<<40) {
			return n // beyond any value a method takes: compared as written
		}
		mantissa, exp = s[:i], e
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	exp -= int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	if trimmed == "" {
		return "0"
	}
	return json.Number(sign + trimmed + "e" + strconv.FormatInt(exp, 10))
}

func (h *Handler) abandon(r *http.Request, t idempotency.Ticket) {
	if err := h.idem.Abandon(r.Context(), t); err != nil {
		h.log.WarnContext(r.Context(), "crmapi: let an idempotency key go", "key", t.Key, "err", err)
	}
}

// run calls the method and encodes its answer.
func (h *Handler) run(w http.ResponseWriter, r *http.Request, c *call, fn method) answer {
	data, err := fn(r.Context(), c)
	if err != nil {
		return h.errorAnswer(w, r, err)
	}
	return encodeEnvelope(http.StatusOK, envelope{Data: data, Status: statusOK})
}

// prepare checks that the method may be called, reads its parameters (and
// a POST's Idempotency-Key) and, for signed-in methods, the caller.
func (h *Handler) prepare(w http.ResponseWriter, r *http.Request, plugin string, acc access) (c *call, key string, err error) {
	if plugin != "" {
		if err := face.Active(h.host, plugin, plugin); err != nil {
			return nil, "", err
		}
	}
	c = &call{r: r}
	if r.Method == http.MethodPost {
		var body []byte
		if key, err = idempotencyKey(r); err != nil {
			return nil, "", err
		}
		body, err = middleware.ReadBody(w, r, MaxBodyBytes)
		if middleware.TooLarge(err) {
			return nil, "", carebridge.Errorf(carebridge.ETOOLARGE, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		if err != nil {
			return nil, "", carebridge.Errorf(carebridge.EINVALID, "The request body could not be read.")
		}
		if acc == byKey && len(bytes.TrimSpace(body)) == 0 {
			c.params = newParams(map[string]json.RawMessage{}, false)
		} else {
			c.params, err = bodyParams(body)
		}
	} else {
		c.params, err = queryParams(r.URL.RawQuery)
	}
	if err != nil {
		return nil, "", err
	}
	if acc == signedIn {
		token := c.string("token")
		if err := c.err(); err != nil {
			return nil, "", err
		}
		if token == "" {
			token, _ = face.Bearer(r)
		}
		if c.caller, err = h.auth.Authenticate(r.Context(), token); err != nil {
			return nil, "", err
		}
	}
	return c, key, nil
}

// idempotencyKey reads the Idempotency-Key header: "" when there is none.
// A header that is present is valid, even where it is ignored.
func idempotencyKey(r *http.Request) (string, error) {
	values := r.Header.Values(IdempotencyKeyHeader)
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return values[0], idempotency.ValidateKey(values[0])
	default:
		return "", carebridge.Errorf(carebridge.EINVALID, "The Idempotency-Key header must be given once.")
	}
}

// fieldsSet reads the optional fields_set parameter.
func (c *call) fieldsSet() fieldsSet { return parseFieldsSet(c.string("fields_set")) }
