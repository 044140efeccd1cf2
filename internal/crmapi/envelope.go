package crmapi

import (
	"encoding/json"

	"carebridge"
	"net/http"
	"strconv"
	"time"
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

func writeEnvelope(w http.ResponseWriter, httpStatus int, env envelope) {
	body, err := json.Marshal(env)
	if err != nil {
		// Only a programming error gets here (an unencodable value).
		httpStatus = http.StatusInternalServerError
		body = []byte(`{"data":{},"status":{"code":"INTERNAL_ERROR","description":"","message":"An internal error occurred."}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(httpStatus)
	w.Write(body)
}

// Time is a date on the wire; the zero time is written as null.
type Time time.Time

func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(carebridge.TimeLayout)+2)
	b = append(b, '"')
	b = tt.UTC().AppendFormat(b, carebridge.TimeLayout)
	return append(b, '"'), nil
}

// jsonString encodes s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
