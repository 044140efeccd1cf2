package crmapi

import (
	"encoding/json"
	"net/http"
	"time"

	"carebridge/internal/face"
)

// envelope wraps every answer of the face, errors included.
type envelope struct {
	Data   any    `json:"data"`
	Status status `json:"status"`
}

type status struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Message     string `json:"message"`
}

// emptyObject is the "data": {} of answers with nothing to return.
type emptyObject struct{}

var statusOK = status{Code: "OK"}

// internalErrorBody is the envelope answered when another cannot be
// encoded.
var internalErrorBody = []byte(`{"data":{},"status":{"code":"INTERNAL_ERROR","description":"","message":"An internal error occurred."}}`)

// answer is one answer of the face, encoded: its HTTP status and the
// envelope's bytes. An idempotent request's answer is stored as it is, to
// be replayed byte for byte.
type answer struct {
	status int
	body   []byte
}

// encodeEnvelope is the answer env makes; one that cannot be encoded is an
// internal error.
func encodeEnvelope(httpStatus int, env envelope) answer {
	body, err := json.Marshal(env)
	if err != nil {
		return answer{http.StatusInternalServerError, internalErrorBody}
	}
	return answer{httpStatus, body}
}

// writeAnswer sends a, never to be cached.
func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Cache-Control", "no-store")
	face.WriteRawJSON(w, a.status, a.body)
}

func writeEnvelope(w http.ResponseWriter, httpStatus int, env envelope) {
	writeAnswer(w, encodeEnvelope(httpStatus, env))
}

// Time is a date on the wire; the zero time is written as null.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(face.TimeLayout)+2)
	b = append(b, '"')
	b = tt.UTC().AppendFormat(b, face.TimeLayout)
	return append(b, '"'), nil
}

// jsonString encodes s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
