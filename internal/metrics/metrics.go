// Package metrics defines every Prometheus metric of carebridge in one
// registry of its own, so that a scrape shows exactly what this package
// declares and nothing a library registered globally.
package metrics

import (
	"context"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
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

	settledBatches prometheus.Counter
	settledCharges prometheus.Counter
	settleDuration prometheus.Histogram
	intake         *prometheus.CounterVec
	acks           *prometheus.CounterVec
	pending        *pendingCollector

	throttled     *prometheus.CounterVec
	failedLogins  prometheus.Counter
	badSignatures prometheus.Counter
}

// New returns a registry holding the Go runtime and process collectors,
// carebridge_build_info, the HTTP request metrics, and the settlement,
// intake, acknowledgement and security metrics the server's observers
// feed (the backlog gauges once WatchPending names their source).
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
	m.settledBatches = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "settlement", Name: "batches_total",
		Help: "Settlement transactions that settled at least one charge.",
	})
	m.settledCharges = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "settlement", Name: "charges_total",
		Help: "Charges settled by the processor.",
	})
	m.settleDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "settlement", Name: "batch_duration_seconds",
		Help:    "Time one settlement transaction took.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "partner", Name: "intake_items_total",
		Help: "Charges of signed partner reports, by outcome (created, duplicate, rejected).",
	}, []string{"outcome"})
	m.acks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "charges", Name: "acknowledgements_total",
		Help: "Items of charges/acknowledge calls, by outcome (acknowledged, failed).",
	}, []string{"outcome"})
	for _, o := range []string{"created", "duplicate", "rejected"} {
		m.intake.WithLabelValues(o)
	}
	for _, o := range []string{"acknowledged", "failed"} {
		m.acks.WithLabelValues(o)
	}
	m.throttled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "security", Name: "throttle_refusals_total",
		Help: "Requests refused by a throttle, by kind (login_user, login_address, ocp_client, ocp_address).",
	}, []string{"kind"})
	for _, k := range ThrottleKinds {
		m.throttled.WithLabelValues(k)
	}
	m.failedLogins = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "security", Name: "failed_logins_total",
		Help: "CRM.COM logins refused for a wrong organisation, user or password.",
	})
	m.badSignatures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "security", Name: "invalid_partner_signatures_total",
		Help: "Partner charge reports refused for their signature.",
	})
	m.pending = &pendingCollector{
		count: prometheus.NewDesc(namespace+"_charges_pending", "Charges waiting to be settled, all operators together.", nil, nil),
		lag: prometheus.NewDesc(namespace+"_settlement_lag_seconds",
			"How long the oldest PENDING charge has waited since it arrived (0 when none waits).", nil, nil),
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
		m.settledBatches, m.settledCharges, m.settleDuration, m.intake, m.acks, m.pending,
		m.throttled, m.failedLogins, m.badSignatures,
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

// SettledBatch counts one settlement transaction of n charges that took d.
func (m *Metrics) SettledBatch(n int, d time.Duration) {
	m.settledBatches.Inc()
	m.settledCharges.Add(float64(n))
	m.settleDuration.Observe(d.Seconds())
}

// Acknowledged counts the items of one charges/acknowledge call.
func (m *Metrics) Acknowledged(acknowledged, failed int) {
	m.acks.WithLabelValues("acknowledged").Add(float64(acknowledged))
	m.acks.WithLabelValues("failed").Add(float64(failed))
}

// IntakeItems counts the items of one signed partner report.
func (m *Metrics) IntakeItems(created, duplicate, rejected int) {
	m.intake.WithLabelValues("created").Add(float64(created))
	m.intake.WithLabelValues("duplicate").Add(float64(duplicate))
	m.intake.WithLabelValues("rejected").Add(float64(rejected))
}

// ThrottleKinds are the values of the kind label of throttle refusals.
var ThrottleKinds = []string{"login_user", "login_address", "ocp_client", "ocp_address"}

// Throttled counts one request refused by the throttle of kind, one of
// ThrottleKinds.
func (m *Metrics) Throttled(kind string) { m.throttled.WithLabelValues(kind).Inc() }

// FailedLogin counts one refused login.
func (m *Metrics) FailedLogin() { m.failedLogins.Inc() }

// InvalidSignature counts one partner report refused for its signature.
func (m *Metrics) InvalidSignature() { m.badSignatures.Inc() }

// PendingFunc reads the settlement backlog: how many charges are PENDING
// and when the oldest arrived (zero when none).
type PendingFunc func(ctx context.Context) (count int64, oldest time.Time, err error)

// WatchPending makes every scrape ask read for the settlement backlog and
// measure its age on now, so the gauges are as fresh as the database
// rather than as the last settlement run. A later call replaces the
// source (one registry serves one server).
func (m *Metrics) WatchPending(read PendingFunc, now func() time.Time) {
	m.pending.mu.Lock()
	defer m.pending.mu.Unlock()
	m.pending.read, m.pending.now = read, now
}

// pendingCollector reports the settlement backlog at scrape time.
type pendingCollector struct {
	count, lag *prometheus.Desc

	mu   sync.Mutex
	read PendingFunc
	now  func() time.Time
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.lag
}

// pendingTimeout bounds the scrape's query, so a stuck database fails the
// scrape instead of piling up scrapes.
const pendingTimeout = 5 * time.Second

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	read, now := c.read, c.now
	c.mu.Unlock()
	if read == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), pendingTimeout)
	defer cancel()
	n, oldest, err := read(ctx)
	if err != nil {
		return // the gauges go absent rather than failing the whole scrape
	}
	lag := 0.0
	if n > 0 && !oldest.IsZero() {
		lag = max(now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag)
}
