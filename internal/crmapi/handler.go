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
	"strings"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/host"
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
	host    *host.Host
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []string // the methods' ServeMux patterns, in registration order
}

// New returns the face's handler.
func New(a *auth.Service, n *netflix.Service, h *host.Host, log *slog.Logger) *Handler {
	hd := &Handler{auth: a, netflix: n, host: h, log: log, mux: http.NewServeMux()}
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
		data, err := h.serve(w, r, plugin, acc, fn)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeEnvelope(w, http.StatusOK, envelope{Data: data, Status: statusOK})
	})
	h.mux.HandleFunc(Prefix+path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", verb)
		h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "%s is called with %s, not %s.", path, verb, r.Method))
	})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, plugin string, acc access, fn method) (any, error) {
	if plugin != "" {
		if err := face.Active(h.host, plugin, plugin); err != nil {
			return nil, err
		}
	}
	c := &call{r: r}
	var err error
	if r.Method == http.MethodPost {
		var body []byte
		body, err = middleware.ReadBody(w, r, MaxBodyBytes)
		if middleware.TooLarge(err) {
			return nil, carebridge.Errorf(carebridge.ETOOLARGE, "The request body is larger than %d bytes.", MaxBodyBytes)
		}
		if err != nil {
			return nil, carebridge.Errorf(carebridge.EINVALID, "The request body could not be read.")
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
		return nil, err
	}
	if acc == signedIn {
		token := c.string("token")
		if err := c.err(); err != nil {
			return nil, err
		}
		if token == "" {
			token, _ = face.Bearer(r)
		}
		if c.caller, err = h.auth.Authenticate(r.Context(), token); err != nil {
			return nil, err
		}
	}
	return fn(r.Context(), c)
}

// fieldsSet reads the optional fields_set parameter.
func (c *call) fieldsSet() fieldsSet { return parseFieldsSet(c.string("fields_set")) }
