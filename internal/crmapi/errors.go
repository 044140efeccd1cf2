package crmapi

import (
	"errors"
	"net/http"
	"strconv"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/idempotency"
)

// failure is how one domain error code travels on this face.
type failure struct {
	code   string // status.code
	status int    // HTTP status
}

// errMethodNotAllowed is this face's own code for a known path called with
// the wrong HTTP method.
const errMethodNotAllowed = "crmapi.method_not_allowed"

// failures is the one table from error code to the envelope's status.code
// and the HTTP status (the README's Errors section).
var failures = map[string]failure{
	carebridge.EUNAUTHORIZED: {"INVALID_TOKEN", http.StatusUnauthorized},
	carebridge.ECREDENTIALS:  {"INVALID_CREDENTIALS", http.StatusUnauthorized},
	carebridge.EMISSING:      {"MISSING_PARAMETER", http.StatusBadRequest},
	carebridge.EINVALID:      {"INVALID_PARAMETER", http.StatusBadRequest},
	carebridge.ETOOLARGE:     {"INVALID_PARAMETER", http.StatusRequestEntityTooLarge},
	carebridge.ENOTFOUND:     {"NOT_FOUND", http.StatusNotFound},
	carebridge.ECONFLICT:     {"INVALID_STATE", http.StatusConflict},
	carebridge.EUNAVAILABLE:  {"SERVICE_UNAVAILABLE", http.StatusServiceUnavailable},
	carebridge.ETHROTTLED:    {"TOO_MANY_REQUESTS", http.StatusTooManyRequests},
	carebridge.EINTERNAL:     {"INTERNAL_ERROR", http.StatusInternalServerError},
	errMethodNotAllowed:      {"METHOD_NOT_ALLOWED", http.StatusMethodNotAllowed},
	idempotency.EREUSED:      {"IDEMPOTENCY_KEY_REUSED", http.StatusUnprocessableEntity},
	idempotency.EINPROGRESS:  {"REQUEST_IN_PROGRESS", http.StatusConflict},
}

// writeError answers with the envelope for err.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeAnswer(w, h.errorAnswer(w, r, err))
}

// errorAnswer is the envelope for err. Internal errors are logged with the
// request id and answered with a generic message; a throttled login says
// when to try again in w's headers.
func (h *Handler) errorAnswer(w http.ResponseWriter, r *http.Request, err error) answer {
	f := face.Failure(failures, err)
	if f.status == http.StatusInternalServerError {
		face.LogInternal(h.log, r, "crmapi: internal error", err)
	}
	var throttled *auth.ThrottledError
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
	}
	return encodeEnvelope(f.status, envelope{
		Data:   emptyObject{},
		Status: status{Code: f.code, Message: carebridge.ErrorMessage(err)},
	})
}
