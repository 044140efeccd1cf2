package face

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"carebridge"
	"carebridge/internal/host"
	"carebridge/internal/middleware"
)

// WriteJSON answers v encoded as JSON. A value that cannot be encoded is a
// programming error: the answer is then 500 with internalError, the face's
// own body for an internal error.
func WriteJSON(w http.ResponseWriter, status int, v any, internalError []byte) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, internalError
	}
	WriteRawJSON(w, status, body)
}

// WriteRawJSON answers body, a JSON document already encoded, with its
// length, so that the answer is not chunked.
func WriteRawJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// Failure is what err's code stands for in a face's error table; a code
// the table lacks is answered as an internal error, so the table must
// hold carebridge.EINTERNAL.
func Failure[F any](table map[string]F, err error) F {
	if f, ok := table[carebridge.ErrorCode(err)]; ok {
		return f
	}
	return table[carebridge.EINTERNAL]
}

// LogInternal logs err, an error the client is answered only generically
// about, with the request id that ties it to the access log. A failure
// caused by the client going away is not the server's and is not logged:
// the access log records it as 499.
func LogInternal(log *slog.Logger, r *http.Request, msg string, err error) {
	if middleware.ClientGone(r.Context()) {
		return
	}
	log.ErrorContext(r.Context(), msg,
		"request_id", middleware.RequestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
}

// Active returns nil while the plugin callsign is active, and otherwise
// the EUNAVAILABLE error a face answers 503 with: "The <name> service is
// not active.", or "The service is not active." when name is "".
func Active(h *host.Host, callsign, name string) error {
	if h.Active(callsign) {
		return nil
	}
	if name == "" {
		return carebridge.Errorf(carebridge.EUNAVAILABLE, "The service is not active.")
	}
	return carebridge.Errorf(carebridge.EUNAVAILABLE, "The %s service is not active.", name)
}
