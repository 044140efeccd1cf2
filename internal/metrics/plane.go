package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// planeMetrics follow the JSON-RPC plane: its WebSockets, the events
// pushed through them and the calls it answers.
type planeMetrics struct {
	websockets prometheus.Gauge
	dropped    *prometheus.CounterVec
	events     *prometheus.CounterVec
	calls      *prometheus.CounterVec
}

// DropReasons are the values of the reason label of dropped peers: a
// write that made no progress, an unanswered ping, too many events
// waiting, a binary message (the plane speaks text), and a credential that
// ended (revoked, disabled, logged out, expired). A peer that goes
// away by itself is not dropped.
var DropReasons = []string{"not_reading", "no_pong", "too_many_events", "binary_message", "credentials_ended"}

func newPlaneMetrics() planeMetrics {
	p := planeMetrics{
		websockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "jsonrpc", Name: "websockets_open",
			Help: "WebSocket connections to the JSON-RPC plane open now.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "jsonrpc", Name: "peers_dropped_total",
			Help: "WebSocket peers the server closed on, by reason (not_reading, no_pong, too_many_events, binary_message, credentials_ended).",
		}, []string{"reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "jsonrpc", Name: "events_total",
			Help: "Plugin events delivered to this replica's registrations (an event published by any replica counts once on each), by callsign and event.",
		}, []string{"callsign", "event"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "jsonrpc", Name: "calls_total",
			Help: "JSON-RPC requests answered, by method (callsign.method; unknown for a method not served, invalid for a message that is not a request) and error code (0 for success).",
		}, []string{"method", "code"}),
	}
	for _, r := range DropReasons {
		p.dropped.WithLabelValues(r)
	}
	return p
}

func (p planeMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{p.websockets, p.dropped, p.events, p.calls}
}

// WebSocketOpened counts a WebSocket as open; the returned func closes it.
func (p planeMetrics) WebSocketOpened() (closed func()) {
	p.websockets.Inc()
	return p.websockets.Dec
}

// PeerDropped counts a WebSocket peer closed for reason, one of
// DropReasons.
func (p planeMetrics) PeerDropped(reason string) { p.dropped.WithLabelValues(reason).Inc() }

// EventDelivered counts one plugin event handed to this replica's
// registrations. callsign and event must be ones a plugin publishes.
func (p planeMetrics) EventDelivered(callsign, event string) {
	p.events.WithLabelValues(callsign, event).Inc()
}

// Called counts one JSON-RPC request answered with code (0 for a result).
// method must be a served method, "unknown" or "invalid": never the text
// a client sent for a method that does not exist.
func (p planeMetrics) Called(method string, code int) {
	p.calls.WithLabelValues(method, strconv.Itoa(code)).Inc()
}
