package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Unmatched is the route label of a request no route took: every unknown
// path counts under this one value, so a scanner cannot grow the series.
const Unmatched = "unmatched"

// httpMetrics are the metrics of answered HTTP requests.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics() httpMetrics {
	return httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by face, route template and status (101 for a WebSocket opened).",
		}, []string{"face", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request (to switch protocols, for a WebSocket), by face, route template and status.",
			Buckets: latencyBuckets,
		}, []string{"face", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being answered now (an open WebSocket is not one; see carebridge_jsonrpc_websockets_open).",
		}),
	}
}

func (h httpMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.requests, h.duration, h.inFlight}
}

// Started counts a request as in flight; the returned func ends it.
func (h httpMetrics) Started() (done func()) {
	h.inFlight.Inc()
	return h.inFlight.Dec
}

// Observe records one answered request. face and route must be bounded
// values (a face name and a route template), never taken from the path.
func (h httpMetrics) Observe(face, route string, status int, elapsed time.Duration) {
	code := strconv.Itoa(status)
	h.requests.WithLabelValues(face, route, code).Inc()
	h.duration.WithLabelValues(face, route, code).Observe(elapsed.Seconds())
}
