package netflix_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"carebridge/internal/netflix"
)

// countingStore counts settlement runs; nothing else is called.
type countingStore struct {
	netflix.Store
	settles atomic.Int32
}

func (s *countingStore) SettleCharges(context.Context, int, time.Time, netflix.SettleFunc) ([]netflix.Settled, error) {
	s.settles.Add(1)
	return nil, nil
}

// A deactivated Netflix plugin settles nothing: the processor asks before
// every run.
func TestProcessorWaitsWhileInactive(t *testing.T) {
	t.Parallel()
	store := &countingStore{}
	p := netflix.NewProcessor(store, time.Now, time.Hour, slog.New(slog.DiscardHandler))
	var active atomic.Bool
	asked := make(chan bool, 16)
	p.Active = func() bool {
		a := active.Load()
		asked <- a
		return a
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	<-asked // the first run, inactive
	p.Kick()
	<-asked // the kicked run, inactive
	if n := store.settles.Load(); n != 0 {
		t.Fatalf("settled %d times while inactive", n)
	}
	active.Store(true)
	p.Kick()
	if !<-asked {
		t.Fatal("the run after activation saw the plugin inactive")
	}
	p.Kick() // the next run starts only after the previous one finished
	<-asked
	if n := store.settles.Load(); n < 1 {
		t.Fatalf("settled %d times after activation, want at least 1", n)
	}
	cancel()
	<-done
}
