// Package metrics defines every Prometheus metric of carebridge in one
// registry of its own, so that a scrape shows exactly what this package
// declares and nothing a library registered globally.
package metrics

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of carebridge's own.
const namespace = "carebridge"

// Unmatched is the route label of a request no route took: every unknown
// path counts under this one value, so a scanner cannot grow the series.
const Unmatched = "unmatched"

// Metrics holds the registry and the metrics carebridge records. New
// metrics are added as fields here and registered in New.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// New returns a registry holding the Go runtime and process collectors,
// carebridge_build_info and the HTTP request metrics.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by face, route template and status.",
		}, []string{"face", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by face, route template and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"face", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being answered now (open WebSocket connections included).",
		}),
	}
	version, revision := buildVersion(debug.ReadBuildInfo())
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; its labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	buildInfo.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
		m.requests, m.duration, m.inFlight,
	)
	return m
}

// buildVersion reads the module version and VCS revision of the binary;
// "devel" and "unknown" stand in for what the build did not record.
func buildVersion(info *debug.BuildInfo, ok bool) (version, revision string) {
	version, revision = "devel", "unknown"
	if !ok || info == nil {
		return version, revision
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		version = v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			revision = s.Value
		}
	}
	return version, revision
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Started counts a request as in flight; the returned func ends it.
func (m *Metrics) Started() (done func()) {
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// Observe records one answered request. face and route must be bounded
// values (a face name and a route template), never taken from the path.
func (m *Metrics) Observe(face, route string, status int, elapsed time.Duration) {
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(face, route, code).Inc()
	m.duration.WithLabelValues(face, route, code).Observe(elapsed.Seconds())
}
