package ocpapi

import (
	"net/http"

	"carebridge"
	"carebridge/internal/face"
)

// errMethodNotAllowed is this face's code for a wrong HTTP method.
const errMethodNotAllowed = "ocpapi.method_not_allowed"

// statuses is the one table from error code to HTTP status (the README's OCP Customer Services section).
var statuses = map[string]int{
	carebridge.EUNAUTHORIZED: http.StatusUnauthorized,
	carebridge.EFORBIDDEN:    http.StatusForbidden,
	carebridge.EINVALID:      http.StatusBadRequest,
	carebridge.ENOTFOUND:     http.StatusNotFound,
	carebridge.EUNAVAILABLE:  http.StatusServiceUnavailable,
	carebridge.EINTERNAL:     http.StatusInternalServerError,
	errMethodNotAllowed:      http.StatusMethodNotAllowed,
}

type errorJSON struct {
	Message          string `json:"message"`
	DocumentationURL string `json:"documentationUrl"`
}

// writeError answers {"message", "documentationUrl"}; internal details go
// to the log with the request id.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := face.Failure(statuses, err)
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		// Every 401 carries its challenge (RFC 9110 §15.5.2); the same one
		// whether or not a customer exists, so nothing leaks.
		w.Header().Set("WWW-Authenticate", `Bearer realm="carebridge"`)
	}
	if status == http.StatusInternalServerError {
		face.LogInternal(h.log, r, "ocpapi: internal error", err)
		err = carebridge.Errorf(carebridge.EINTERNAL, "An internal error occurred.")
	}
	writeJSON(w, status, errorJSON{Message: carebridge.ErrorMessage(err), DocumentationURL: h.docURL})
}

// internalErrorBody is answered when a body cannot be encoded.
var internalErrorBody = []byte(`{"message":"An internal error occurred.","documentationUrl":""}`)

// writeJSON answers v; no answer of the face is to be stored by a cache.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	face.WriteJSON(w, status, v, internalErrorBody)
}
