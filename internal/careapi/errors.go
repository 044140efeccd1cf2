package careapi

import (
	"errors"
	"net/http"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
)

// Codes of this face that no domain code stands for.
const (
	errMethodNotAllowed     = "method_not_allowed"
	errUnsupportedMediaType = "unsupported_media_type"
)

// ErrorJSON is every error answer of the face: a code a client can
// branch on, and a sentence for the person reading it.
type ErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// failure is how the face answers an error code.
type failure struct {
	status int
	code   string
}

// failures is the face's one table from error to answer.
var failures = map[string]failure{
	carebridge.EINVALID:      {http.StatusBadRequest, "invalid_request"},
	carebridge.EMISSING:      {http.StatusBadRequest, "invalid_request"},
	carebridge.ECREDENTIALS:  {http.StatusUnauthorized, "invalid_credentials"},
	carebridge.EUNAUTHORIZED: {http.StatusUnauthorized, "invalid_token"},
	carebridge.ETHROTTLED:    {http.StatusTooManyRequests, "throttled"},
	carebridge.ETOOLARGE:     {http.StatusRequestEntityTooLarge, "too_large"},
	carebridge.ENOTFOUND:     {http.StatusNotFound, "not_found"},
	carebridge.EUNAVAILABLE:  {http.StatusServiceUnavailable, "unavailable"},
	carebridge.EINTERNAL:     {http.StatusInternalServerError, "internal"},
	errMethodNotAllowed:      {http.StatusMethodNotAllowed, "method_not_allowed"},
	errUnsupportedMediaType:  {http.StatusUnsupportedMediaType, "unsupported_media_type"},
}

const internalErrorMessage = "An internal error occurred."

var internalErrorBody = []byte(`{"code":"internal","message":"` + internalErrorMessage + `"}`)

// writeError answers err from the table; an internal error, or one whose
// code the table lacks, is logged and answered without its details.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	f := face.Failure(failures, err)
	message := carebridge.ErrorMessage(err)
	if f.status == http.StatusInternalServerError {
		face.LogInternal(h.log, r, "careapi: internal error", err)
		message = internalErrorMessage
	}
	retryAfter(w, err)
	if f.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="carebridge care"`)
	}
	face.WriteJSON(w, f.status, ErrorJSON{Code: f.code, Message: message}, internalErrorBody)
}

func throttled(err error) (*auth.ThrottledError, bool) {
	var te *auth.ThrottledError
	ok := errors.As(err, &te)
	return te, ok
}
