package netflix

import (
	"context"
	"log/slog"
	"time"

	"carebridge"
)

// Processor settles PENDING charges in the background. Each batch is one
// store transaction, so several processors (in one or several server
// processes) never settle a charge twice, and a process that dies mid-batch
// leaves its charges PENDING for the next run.
type Processor struct {
	Store     Store
	Now       func() time.Time
	Interval  time.Duration // between runs when idle
	BatchSize int
	Log       *slog.Logger
	Active    func() bool // settles only while this says the plugin is active; nil: always
	Observer  Observer    // told of every batch that settled charges; nil: nobody
	Notifier  Notifier    // told of each charge settled and subscription ended, after the commit; nil: nobody

	kick chan struct{}
}

// NewProcessor returns a processor with its defaults filled in.
func NewProcessor(store Store, now func() time.Time, interval time.Duration, log *slog.Logger) *Processor {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	return &Processor{Store: store, Now: now, Interval: interval, BatchSize: 100, Log: log, kick: make(chan struct{}, 1)}
}

// Kick asks for a run now; it never blocks.
func (p *Processor) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run settles until ctx ends.
func (p *Processor) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		if p.Active == nil || p.Active() {
			if _, err := p.Drain(ctx); err != nil && ctx.Err() == nil {
				p.Log.Error("settle charges", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
	}
}

// Drain settles batches until no PENDING charge is left, or until the store
// is busy with another processor (it then stops without error and the next
// run carries on), and reports how many it settled.
func (p *Processor) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		began := time.Now() // the batch's duration, on the monotonic clock rather than the business clock Now
		settled, err := p.Store.SettleCharges(ctx, p.BatchSize, p.Now().UTC().Truncate(time.Second), Settlement)
		n := len(settled)
		if n > 0 {
			observe(p.Observer).SettledBatch(n, time.Since(began))
		}
		for _, s := range settled {
			notify(p.Notifier).ChargeChanged(ctx, s.Charge)
			if s.Cancelled != nil {
				notify(p.Notifier).SubscriptionChanged(ctx, *s.Cancelled)
			}
		}
		total += n
		if carebridge.ErrorCode(err) == carebridge.EUNAVAILABLE {
			err = nil
			n = 0
		}
		if err != nil || n < p.BatchSize {
			if total > 0 {
				p.Log.Info("settled charges", "count", total)
			}
			return total, err
		}
	}
}
