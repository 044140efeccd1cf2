package middleware

import (
	"net/http"
	"sync"
	"time"

	"carebridge/internal/metrics"
)

// Labels names the face and route template of a request once it has been
// served: a ServeMux sets r.Pattern on the request it routes, so the
// labeller reads it afterwards. It must return bounded values only.
type Labels func(r *http.Request) (face, route string)

// Metrics counts each request in flight while it is served, then records
// it by face, route template and status (499 when its client went away,
// as in the access log). A WebSocket is recorded when it switches
// protocols (101): from then on it is the plane's connection, not a
// request in flight, and its lifetime stays out of the latency histogram.
// It must see the very request the ServeMux routes, so nothing between it
// and the mux may replace the request.
func Metrics(m *metrics.Metrics, labels Labels, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := m.Started()
		start := time.Now()
		var once sync.Once
		record := func(status int) {
			once.Do(func() {
				done()
				face, route := labels(r)
				m.Observe(face, route, status, time.Since(start))
			})
		}
		rec := &recorder{ResponseWriter: w, switched: func() { record(http.StatusSwitchingProtocols) }}
		defer func() { record(answered(rec, r)) }()
		next.ServeHTTP(rec, r)
	})
}

// answered is the status a request is recorded with: 499 for a failure,
// an unreadable body (400) or silence after the client hung up, 200 for a
// handler that wrote nothing.
func answered(rec *recorder, r *http.Request) int {
	status := rec.status
	if (status == 0 || status == http.StatusBadRequest || status >= 500) && ClientGone(r.Context()) {
		return StatusClientClosedRequest
	}
	if status == 0 {
		return http.StatusOK
	}
	return status
}
