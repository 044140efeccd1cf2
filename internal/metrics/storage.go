package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storageMetrics follow the storage engine: SQLite's group commit, the
// connection pools of either engine, and PostgreSQL's event bus. The
// series of an engine appear only on a server that runs it.
type storageMetrics struct {
	commitWrites   prometheus.Histogram
	commitDuration prometheus.Histogram
	busListening   prometheus.Gauge
	busReconnects  prometheus.Counter
	pools          *poolCollector
	cacheRequests  *prometheus.CounterVec
	cacheEvictions *prometheus.CounterVec

	registry   *prometheus.Registry
	commitOnce *sync.Once
	busOnce    *sync.Once
}

func newStorageMetrics(reg *prometheus.Registry) storageMetrics {
	return storageMetrics{
		commitWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "sqlite", Name: "group_commit_writes",
			Help:    "Write transactions of the API committed together in one SQLite transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64},
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "sqlite", Name: "group_commit_duration_seconds",
			Help:    "Time one group commit took, from BEGIN to the durable COMMIT.",
			Buckets: latencyBuckets,
		}),
		busListening: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "bus", Name: "listening",
			Help: "1 while this replica listens for the other replicas' events (PostgreSQL LISTEN), 0 while it reconnects.",
		}),
		busReconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "bus", Name: "reconnects_total",
			Help: "Times the event bus lost (or could not open) its listening connection and set out to connect again.",
		}),
		pools: &poolCollector{
			conns: prometheus.NewDesc(namespace+"_db_pool_connections",
				"Connections of a database pool, by pool and state (in_use, idle).", []string{"pool", "state"}, nil),
			max: prometheus.NewDesc(namespace+"_db_pool_max_connections",
				"The most connections a database pool opens.", []string{"pool"}, nil),
			waits: prometheus.NewDesc(namespace+"_db_pool_waits_total",
				"Times a query waited for a free connection of the pool.", []string{"pool"}, nil),
			waited: prometheus.NewDesc(namespace+"_db_pool_wait_seconds_total",
				"Time queries spent waiting for a free connection of the pool.", []string{"pool"}, nil),
		},
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "readcache", Name: "requests_total",
			Help: "Reads a store's read cache answered (result=hit) or passed to the database (result=miss), by cache.",
		}, []string{"cache", "result"}),
		cacheEvictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "readcache", Name: "evictions_total",
			Help: "Values a read cache dropped to stay within its bounds (not invalidations), by cache.",
		}, []string{"cache"}),
		registry:   reg,
		commitOnce: new(sync.Once),
		busOnce:    new(sync.Once),
	}
}

func (s storageMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.pools, s.cacheRequests, s.cacheEvictions}
}

// ReadCacheObserver counts one read cache's hits, misses and evictions
// (a readcache.Observer).
type ReadCacheObserver struct{ hits, misses, evictions prometheus.Counter }

func (o ReadCacheObserver) Hit()     { o.hits.Inc() }
func (o ReadCacheObserver) Miss()    { o.misses.Inc() }
func (o ReadCacheObserver) Evicted() { o.evictions.Inc() }

// ReadCache returns the observer of the read cache named name.
func (s storageMetrics) ReadCache(name string) ReadCacheObserver {
	return ReadCacheObserver{
		hits:      s.cacheRequests.WithLabelValues(name, "hit"),
		misses:    s.cacheRequests.WithLabelValues(name, "miss"),
		evictions: s.cacheEvictions.WithLabelValues(name),
	}
}

// GroupCommits registers the group commit's metrics and returns what
// records one commit of writes write functions that took elapsed.
func (s storageMetrics) GroupCommits() func(writes int, elapsed time.Duration) {
	s.commitOnce.Do(func() { s.registry.MustRegister(s.commitWrites, s.commitDuration) })
	return func(writes int, elapsed time.Duration) {
		s.commitWrites.Observe(float64(writes))
		s.commitDuration.Observe(elapsed.Seconds())
	}
}

// BusObserver hears the event bus's listening connection come and go.
type BusObserver struct{ s storageMetrics }

// Listening records that the bus listens (true), or that it has lost its
// connection, or failed to open one, and will try again (false).
func (o BusObserver) Listening(on bool) {
	if on {
		o.s.busListening.Set(1)
		return
	}
	o.s.busListening.Set(0)
	o.s.busReconnects.Inc()
}

// Bus registers the event bus's metrics and returns their observer.
func (s storageMetrics) Bus() BusObserver {
	s.busOnce.Do(func() { s.registry.MustRegister(s.busListening, s.busReconnects) })
	return BusObserver{s}
}

// PoolStats is one connection pool as a scrape sees it.
type PoolStats struct {
	Name     string // sqlite_reader, sqlite_writer, postgres
	Max      int    // the most connections it opens
	InUse    int
	Idle     int
	Waits    int64         // acquisitions that found no free connection
	WaitTime time.Duration // their total wait
}

// WatchPools makes every scrape read the pools' statistics from read. A
// later call replaces the source.
func (s storageMetrics) WatchPools(read func() []PoolStats) {
	s.pools.mu.Lock()
	defer s.pools.mu.Unlock()
	s.pools.read = read
}

// poolCollector reports connection pools at scrape time.
type poolCollector struct {
	conns, max, waits, waited *prometheus.Desc

	mu   sync.Mutex
	read func() []PoolStats
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.conns
	ch <- c.max
	ch <- c.waits
	ch <- c.waited
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	read := c.read
	c.mu.Unlock()
	if read == nil {
		return
	}
	for _, p := range read() {
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.InUse), p.Name, "in_use")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.Idle), p.Name, "idle")
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(p.Max), p.Name)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(p.Waits), p.Name)
		ch <- prometheus.MustNewConstMetric(c.waited, prometheus.CounterValue, p.WaitTime.Seconds(), p.Name)
	}
}
