// Package metrics defines every Prometheus metric of carebridge in one
// registry of its own, so that a scrape shows exactly what this package
// declares and nothing a library registered globally. Each file holds one
// area: the HTTP requests, the money flow, security, the JSON-RPC plane
// and storage.
package metrics

import (
	"net/http"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of carebridge's own.
const namespace = "carebridge"

// Metrics holds the registry and the metrics carebridge records; the
// methods that record them come from each area's part.
type Metrics struct {
	Registry *prometheus.Registry

	httpMetrics
	moneyMetrics
	securityMetrics
	planeMetrics
	storageMetrics
	webhookMetrics
}

// New returns a registry holding the Go runtime and process collectors,
// carebridge_build_info and every area's metrics. The gauges read at
// scrape time (the settlement backlog, the connection pools) appear once
// their source is named (WatchPending, WatchPools), and an engine's own
// series once the server says it runs that engine (GroupCommits, Bus).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry:        reg,
		httpMetrics:     newHTTPMetrics(),
		moneyMetrics:    newMoneyMetrics(),
		securityMetrics: newSecurityMetrics(),
		planeMetrics:    newPlaneMetrics(),
		storageMetrics:  newStorageMetrics(reg),
		webhookMetrics:  newWebhookMetrics(),
	}
	version, revision := buildVersion(debug.ReadBuildInfo())
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; its labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	buildInfo.Set(1)
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo,
	)
	for _, area := range [][]prometheus.Collector{
		m.httpMetrics.collectors(),
		m.moneyMetrics.collectors(),
		m.securityMetrics.collectors(),
		m.planeMetrics.collectors(),
		m.storageMetrics.collectors(),
		m.webhookMetrics.collectors(),
	} {
		m.Registry.MustRegister(area...)
	}
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

// latencyBuckets are the histogram buckets of durations in seconds, from a
// millisecond to half a minute.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
