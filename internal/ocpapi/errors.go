package ocpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"carebridge"
	"carebridge/internal/middleware"
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
	status, ok := statuses[carebridge.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		// Every 401 carries its challenge (RFC 9110 §15.5.2); the same one
		// whether or not a customer exists, so nothing leaks.
		w.Header().Set("WWW-Authenticate", `Bearer realm="carebridge"`)
	}
	if status == http.StatusInternalServerError {
		// A failure caused by the client going away is not the server's:
		// the access log records it as 499.
		if !middleware.ClientGone(r.Context()) {
			h.log.ErrorContext(r.Context(), "ocpapi: internal error",
				"request_id", middleware.RequestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
		}
		err = carebridge.Errorf(carebridge.EINTERNAL, "An internal error occurred.")
	}
	writeJSON(w, status, errorJSON{Message: carebridge.ErrorMessage(err), DocumentationURL: h.docURL})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"An internal error occurred.","documentationUrl":""}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
