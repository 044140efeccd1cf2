package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Summary is what a scenario's latencies come to. Percentiles are exact:
// every latency is kept and sorted.
type Summary struct {
	Count int
	P50   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// Summarize sorts latencies in place and returns their summary.
func Summarize(latencies []time.Duration) Summary {
	slices.Sort(latencies)
	s := Summary{Count: len(latencies)}
	if len(latencies) == 0 {
		return s
	}
	s.P50 = Percentile(latencies, 50)
	s.P99 = Percentile(latencies, 99)
	s.Max = latencies[len(latencies)-1]
	return s
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted latencies
// by the nearest-rank method: the smallest value that at least p percent
// of the values are less than or equal to. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// maxErrorSamples is how many distinct error messages a scenario keeps.
const maxErrorSamples = 5

// tally is one worker's record: latencies of the operations it finished,
// the items they carried, and its errors. Only its worker writes it, so it
// needs no lock; the driver merges the tallies when every worker is done.
type tally struct {
	latencies []time.Duration
	items     int64
	errors    int64
	samples   []string
}

func (t *tally) ok(d time.Duration, items int) {
	t.latencies = append(t.latencies, d)
	t.items += int64(items)
}

func (t *tally) fail(err error) {
	t.errors++
	if msg := err.Error(); len(t.samples) < maxErrorSamples && !slices.Contains(t.samples, msg) {
		t.samples = append(t.samples, msg)
	}
}

// outcome is the merged record of a run of workers.
type outcome struct {
	latencies []time.Duration
	items     int64
	errors    int64
	samples   []string
	elapsed   time.Duration
}

func merge(tallies []*tally, elapsed time.Duration) outcome {
	o := outcome{elapsed: elapsed}
	seen := map[string]bool{}
	for _, t := range tallies {
		o.latencies = append(o.latencies, t.latencies...)
		o.items += t.items
		o.errors += t.errors
		for _, s := range t.samples {
			if !seen[s] && len(o.samples) < maxErrorSamples {
				seen[s] = true
				o.samples = append(o.samples, s)
			}
		}
	}
	return o
}

// op is one operation of a closed-loop scenario: worker w's seq-th. It
// returns how many items it carried (charges acknowledged, ESNs
// registered; 0 when it carries none). done reports that there is no more
// work (the charges are drained): the worker stops, and the operation is
// not counted. Its latency runs from its call, or from its last call of
// start (an op that prepares a large body calls start before sending it).
type op func(ctx context.Context, w, seq int, start func()) (items int, done bool, err error)

// Limits that keep every loop bounded whatever its duration.
const (
	maxOpsPerWorker = 5_000_000
	requestTimeout  = 30 * time.Second
)

// drive runs op in a closed loop on workers goroutines until d has passed
// (an operation started before then is waited for), ctx ends, or a worker
// runs out of work. Each worker issues one operation at a time, so
// workers is the concurrency.
func drive(ctx context.Context, workers int, d time.Duration, fn op) outcome {
	tallies := make([]*tally, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		t := &tally{latencies: make([]time.Duration, 0, 1024)}
		tallies[w] = t
		wg.Go(func() {
			for seq := 0; seq < maxOpsPerWorker && ctx.Err() == nil; seq++ {
				begin := time.Now()
				if !begin.Before(deadline) {
					return
				}
				octx, cancel := context.WithTimeout(ctx, requestTimeout)
				items, done, err := fn(octx, w, seq, func() { begin = time.Now() })
				cancel()
				if done {
					return
				}
				if err != nil {
					t.fail(err)
					continue
				}
				t.ok(time.Since(begin), items)
			}
		})
	}
	wg.Wait()
	return merge(tallies, time.Since(start))
}

// result turns an outcome into a scenario's result.
func (o outcome) result(name string, conns int, unit, itemUnit string) Result {
	s := Summarize(o.latencies)
	r := Result{
		Name: name, Connections: conns, Unit: unit,
		Ops: int64(s.Count), Errors: o.errors, ErrorSamples: o.samples,
		Seconds: o.elapsed.Seconds(),
		P50Ms:   ms(s.P50), P99Ms: ms(s.P99), MaxMs: ms(s.Max),
	}
	if r.Seconds > 0 {
		r.OpsPerSec = float64(r.Ops) / r.Seconds
	}
	if itemUnit != "" {
		r.ItemUnit, r.Items = itemUnit, o.items
		if r.Seconds > 0 {
			r.ItemsPerSec = float64(o.items) / r.Seconds
		}
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// statusError is an answer that was not the one expected.
func statusError(what string, status int, body []byte) error {
	const maxBody = 200
	b := string(body)
	if len(b) > maxBody {
		b = b[:maxBody] + "…"
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, status, b)
}
