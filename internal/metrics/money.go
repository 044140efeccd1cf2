package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// moneyMetrics follow the charges: the settlement backlog, the settlement
// runs, the partner's reports and the billing system's acknowledgements.
type moneyMetrics struct {
	settledBatches prometheus.Counter
	settledCharges prometheus.Counter
	settleDuration prometheus.Histogram
	intake         *prometheus.CounterVec
	acks           *prometheus.CounterVec
	pending        *pendingCollector
}

func newMoneyMetrics() moneyMetrics {
	m := moneyMetrics{
		settledBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "settlement", Name: "batches_total",
			Help: "Settlement transactions that settled at least one charge.",
		}),
		settledCharges: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "settlement", Name: "charges_total",
			Help: "Charges settled by the processor.",
		}),
		settleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "settlement", Name: "batch_duration_seconds",
			Help:    "Time one settlement transaction took.",
			Buckets: latencyBuckets,
		}),
		intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "partner", Name: "intake_items_total",
			Help: "Charges of signed partner reports, by outcome (created, duplicate, rejected).",
		}, []string{"outcome"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "charges", Name: "acknowledgements_total",
			Help: "Items of charges/acknowledge calls, by outcome (acknowledged, failed).",
		}, []string{"outcome"}),
		pending: &pendingCollector{
			count: prometheus.NewDesc(namespace+"_charges_pending", "Charges waiting to be settled, all operators together.", nil, nil),
			lag: prometheus.NewDesc(namespace+"_settlement_lag_seconds",
				"How long the oldest PENDING charge has waited since it arrived (0 when none waits).", nil, nil),
		},
	}
	for _, o := range []string{"created", "duplicate", "rejected"} {
		m.intake.WithLabelValues(o)
	}
	for _, o := range []string{"acknowledged", "failed"} {
		m.acks.WithLabelValues(o)
	}
	return m
}

func (m moneyMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.settledBatches, m.settledCharges, m.settleDuration, m.intake, m.acks, m.pending}
}

// SettledBatch counts one settlement transaction of n charges that took d.
func (m moneyMetrics) SettledBatch(n int, d time.Duration) {
	m.settledBatches.Inc()
	m.settledCharges.Add(float64(n))
	m.settleDuration.Observe(d.Seconds())
}

// Acknowledged counts the items of one charges/acknowledge call.
func (m moneyMetrics) Acknowledged(acknowledged, failed int) {
	m.acks.WithLabelValues("acknowledged").Add(float64(acknowledged))
	m.acks.WithLabelValues("failed").Add(float64(failed))
}

// IntakeItems counts the items of one signed partner report.
func (m moneyMetrics) IntakeItems(created, duplicate, rejected int) {
	m.intake.WithLabelValues("created").Add(float64(created))
	m.intake.WithLabelValues("duplicate").Add(float64(duplicate))
	m.intake.WithLabelValues("rejected").Add(float64(rejected))
}

// PendingFunc reads the settlement backlog: how many charges are PENDING
// and when the oldest arrived (zero when none).
type PendingFunc func(ctx context.Context) (count int64, oldest time.Time, err error)

// WatchPending makes every scrape ask read for the settlement backlog and
// measure its age on now, so the gauges are as fresh as the database
// rather than as the last settlement run. A later call replaces the
// source (one registry serves one server).
func (m moneyMetrics) WatchPending(read PendingFunc, now func() time.Time) {
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

// scrapeTimeout bounds a query made for a scrape, so a stuck database
// fails the scrape instead of piling up scrapes.
const scrapeTimeout = 5 * time.Second

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	read, now := c.read, c.now
	c.mu.Unlock()
	if read == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
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
