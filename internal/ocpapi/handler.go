// Package ocpapi is the OCP Customer Services face: the OAuth2 token
// endpoint (client credentials, RFC 6749 §4.4) and the customer routes
// under /v1/ocp/, with the error model of the OCP Customer Services document.
package ocpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/host"
	"carebridge/internal/ocp"
)

// Prefix is where the face is mounted.
const Prefix = "/v1/"

// DefaultDocumentationURL is the OCP document's own documentation link.
const DefaultDocumentationURL = "https://github.com/grantvictor/Partner-API-V1-Documentation/wiki"

// Handler serves the face.
type Handler struct {
	ocp    *ocp.Service
	host   *host.Host
	log    *slog.Logger
	docURL string
	mux    *http.ServeMux
	gets   *http.ServeMux // the GET routes alone, to tell 405 from 404
	routes []string       // the routes' ServeMux patterns, in registration order

	clients, addresses *auth.Throttle // failed token requests

	// Observer is told of token requests refused by a throttle; nil: nobody.
	Observer Observer
}

// Throttle kinds a token request can be refused by, as Observer.Throttled
// names them.
const (
	ThrottleClient  = "ocp_client"
	ThrottleAddress = "ocp_address"
)

// Observer is told of throttled token requests, so that the server can
// count them without this package knowing how.
type Observer interface {
	Throttled(kind string)
}

// New returns the face; docURL is the documentationUrl of error bodies.
func New(svc *ocp.Service, h *host.Host, docURL string, log *slog.Logger) *Handler {
	if docURL == "" {
		docURL = DefaultDocumentationURL
	}
	hd := &Handler{ocp: svc, host: h, log: log, docURL: docURL, mux: http.NewServeMux(), gets: http.NewServeMux()}
	hd.setThrottles(throttleKeys)
	hd.routes = append(hd.routes, TokenRoute)
	hd.mux.HandleFunc(TokenRoute, noCache(hd.active(hd.token)))
	hd.get("/v1/ocp/customers/enrollment_levels", hd.enrollmentLevels)
	hd.get("/v1/ocp/customers/ids", hd.customerIDs)
	hd.get("/v1/ocp/customers/{id}", hd.customer)
	hd.get("/v1/ocp/customers/{id}/enrollment_level", hd.enrollmentLevel)
	hd.get("/v1/ocp/customers/{id}/customer_profile", hd.customerProfile)
	hd.mux.HandleFunc(Prefix, hd.unrouted)
	return hd
}

// TokenRoute is the ServeMux pattern of the OAuth2 token endpoint.
const TokenRoute = "POST /v1/oauth/token"

// Routes returns the ServeMux patterns of the face's routes: the token
// endpoint and the customer routes. Under Prefix, what none of them takes
// is answered 404, or 405 for a route's path called with another method.
func (h *Handler) Routes() []string { return slices.Clone(h.routes) }

// setThrottles gives the token endpoint empty throttles that track at most
// keys client ids and keys addresses.
func (h *Handler) setThrottles(keys int) {
	h.clients = auth.NewThrottle(clientFailureLimit, throttleWindow, keys)
	h.addresses = auth.NewThrottle(addressFailureLimit, throttleWindow, keys)
}

// unrouted answers what no route took: 405 for a known path called with
// another method, 404 otherwise.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	asGet := r.Clone(r.Context())
	asGet.Method = http.MethodGet
	if _, pattern := h.gets.Handler(asGet); pattern != "" {
		w.Header().Set("Allow", "GET, HEAD")
		h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "Method %s is not allowed here.", r.Method))
		return
	}
	if r.URL.Path == "/v1/oauth/token" {
		w.Header().Set("Allow", "POST")
		h.writeError(w, r, carebridge.Errorf(errMethodNotAllowed, "The token endpoint takes POST."))
		return
	}
	h.writeError(w, r, carebridge.Errorf(carebridge.ENOTFOUND, "Not Found."))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// noCache marks every answer of the token endpoint, errors included, as
// not to be cached by HTTP/1.0 caches either (RFC 6749 section 5.1).
func noCache(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Pragma", "no-cache")
		next(w, r)
	}
}

// active answers 503 while the OCP plugin is deactivated.
func (h *Handler) active(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := face.Active(h.host, ocp.Callsign, ""); err != nil {
			h.writeError(w, r, err)
			return
		}
		next(w, r)
	}
}

// route is a customer route: it runs for an authenticated application.
type route func(ctx context.Context, appID int64, r *http.Request) (any, error)

// get mounts a bearer-protected GET route.
func (h *Handler) get(path string, fn route) {
	h.routes = append(h.routes, "GET "+path)
	h.gets.HandleFunc("GET "+path, func(http.ResponseWriter, *http.Request) {})
	h.mux.HandleFunc("GET "+path, h.active(func(w http.ResponseWriter, r *http.Request) {
		token, _ := face.Bearer(r)
		appID, err := h.ocp.Authenticate(r.Context(), token)
		if err != nil {
			if token != "" {
				// RFC 6750 §3.1: a token was presented and is not valid.
				w.Header().Set("WWW-Authenticate", `Bearer realm="carebridge", error="invalid_token"`)
			}
			h.writeError(w, r, err)
			return
		}
		body, err := fn(r.Context(), appID, r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, body)
	}))
}

// customerID reads the {id} path segment: a positive decimal integer,
// written plainly.
func customerID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, carebridge.Errorf(carebridge.EINVALID, "Invalid customer id %q: it must be a positive integer.", s)
	}
	return id, nil
}

type levelsJSON struct {
	Levels []ocp.Level `json:"levels"`
}

func (h *Handler) enrollmentLevels(ctx context.Context, appID int64, r *http.Request) (any, error) {
	return levelsJSON{Levels: ocp.Levels}, nil
}

type idsJSON struct {
	AppID          int64   `json:"appId"`
	OCPCustomerIDs []int64 `json:"ocpCustomerIds"`
}

func (h *Handler) customerIDs(ctx context.Context, appID int64, r *http.Request) (any, error) {
	ids, err := h.ocp.CustomerIDs(ctx, appID)
	return idsJSON{AppID: appID, OCPCustomerIDs: ids}, err
}

type customerJSON struct {
	ID   int64  `json:"id"`
	NSID int64  `json:"nsid"`
	Name string `json:"name"`
}

// profile reads the {id} customer's profile for the application.
func (h *Handler) profile(ctx context.Context, appID int64, r *http.Request) (ocp.Profile, error) {
	id, err := customerID(r)
	if err != nil {
		return ocp.Profile{}, err
	}
	return h.ocp.Profile(ctx, appID, id)
}

func (h *Handler) customer(ctx context.Context, appID int64, r *http.Request) (any, error) {
	p, err := h.profile(ctx, appID, r)
	return customerJSON{ID: p.ID, NSID: p.NSID, Name: p.Name}, err
}

type enrollmentLevelJSON struct {
	ID              int64     `json:"id"`
	EnrollmentLevel ocp.Level `json:"enrollment_level"`
}

func (h *Handler) enrollmentLevel(ctx context.Context, appID int64, r *http.Request) (any, error) {
	p, err := h.profile(ctx, appID, r)
	return enrollmentLevelJSON{ID: p.ID, EnrollmentLevel: p.EnrollmentLevel}, err
}

type profileJSON struct {
	ID                    int64        `json:"id"`
	Customer              customerJSON `json:"customer"`
	CanViewIP             bool         `json:"canviewip"`
	CanAccessIP           bool         `json:"canaccessip"`
	IsRMS                 bool         `json:"isrms"`
	Email                 string       `json:"email"`
	OCPEnrollmentLast     ocp.Level    `json:"ocpenrollmentlast"`
	OCPServices           []string     `json:"ocpservices"`
	DeviceSubsetStartTime int64        `json:"deviceSubsetStartTime"`
}

func (h *Handler) customerProfile(ctx context.Context, appID int64, r *http.Request) (any, error) {
	p, err := h.profile(ctx, appID, r)
	if err != nil {
		return nil, err
	}
	out := profileJSON{
		ID: p.ID, Customer: customerJSON{ID: p.ID, NSID: p.NSID, Name: p.Name},
		CanViewIP: p.CanViewIP, CanAccessIP: p.CanAccessIP, IsRMS: p.IsRMS,
		OCPEnrollmentLast: p.EnrollmentLevel, OCPServices: p.OCPServices, DeviceSubsetStartTime: p.DeviceSubsetStartTime,
	}
	out.Email = p.Email // "" when none: the document's shape has a string
	return out, nil
}
