package netflix_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"carebridge/internal/netflix"
)

// counts is an Overview's Charges as a test writes it: every status, in
// the order of ChargeStatuses.
func counts(pending, approved, declined, badRequest, rejected int64) map[netflix.ChargeStatus]int64 {
	return map[netflix.ChargeStatus]int64{netflix.Pending: pending, netflix.Approved: approved,
		netflix.Declined: declined, netflix.BadRequest: badRequest, netflix.Rejected: rejected}
}

// The overview counts the operator's charges in every status, another
// operator's never, and ages the oldest PENDING one by when carebridge
// received it, in whole seconds, never below 0.
func TestOverview(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	now := careAt
	w.svc.Now = func() time.Time { return now }
	overview := func() netflix.Overview {
		t.Helper()
		o, err := w.svc.Overview(ctx, careAgent)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	check := func(step string, o netflix.Overview, want map[netflix.ChargeStatus]int64, oldest time.Time, age time.Duration) {
		t.Helper()
		if !maps.Equal(o.Charges, want) || !o.OldestPending.Equal(oldest) || o.OldestPendingAge != age {
			t.Fatalf("%s: %+v; want %v, oldest %v, age %v", step, o, want, oldest, age)
		}
	}

	// Nothing yet: every status is there, at 0.
	check("no charges", overview(), counts(0, 0, 0, 0, 0), time.Time{}, 0)

	// One customer of each settlement: EFFECTIVE, suspended, cancelled,
	// and none.
	for _, c := range []string{"live", "paused", "gone"} {
		w.create(t, careAgent, netflix.CreateRequest{Customer: c})
	}
	if _, err := w.svc.Transition(ctx, careAgent, "paused", netflix.ActionSuspend); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Transition(ctx, careAgent, "gone", netflix.ActionCancel); err != nil {
		t.Fatal(err)
	}
	// Another operator's charge, received first, counts nowhere here.
	now = careAt.Add(-time.Hour)
	if _, err := w.svc.Ingest(ctx, otherOp.OperatorID, []netflix.NewCharge{reported("theirs", "theirs")}, ""); err != nil {
		t.Fatal(err)
	}
	// The oldest is by arrival: the charge received first has the higher
	// id here.
	now = careAt.Add(2 * time.Minute)
	if _, err := w.svc.Ingest(ctx, careAgent.OperatorID, []netflix.NewCharge{reported("p1", "live"), reported("p2", "paused")}, ""); err != nil {
		t.Fatal(err)
	}
	now = careAt.Add(time.Minute)
	if _, err := w.svc.Ingest(ctx, careAgent.OperatorID, []netflix.NewCharge{reported("p3", "gone"), reported("p4", "nobody")}, ""); err != nil {
		t.Fatal(err)
	}
	// The service's clock, to the second: a fraction is not counted.
	now = careAt.Add(time.Minute + 90*time.Second + 900*time.Millisecond)
	check("four pending", overview(), counts(4, 0, 0, 0, 0), careAt.Add(time.Minute), 90*time.Second)
	o, err := w.svc.Overview(ctx, otherOp)
	if err != nil {
		t.Fatal(err)
	}
	check("the other operator", o, counts(1, 0, 0, 0, 0), careAt.Add(-time.Hour), time.Hour+2*time.Minute+30*time.Second)

	// Settled, the counts move to each status; nothing is PENDING.
	if _, err := w.svc.Store.SettleCharges(ctx, 100, now, netflix.Settlement); err != nil {
		t.Fatal(err)
	}
	check("settled", overview(), counts(0, 1, 1, 1, 1), time.Time{}, 0)

	// A charge received by a replica whose clock runs ahead has waited 0,
	// not less.
	now = careAt.Add(time.Hour)
	if _, err := w.svc.Ingest(ctx, careAgent.OperatorID, []netflix.NewCharge{reported("p5", "live")}, ""); err != nil {
		t.Fatal(err)
	}
	now = careAt.Add(time.Hour - 5*time.Second)
	check("a clock behind", overview(), counts(1, 1, 1, 1, 1), careAt.Add(time.Hour), 0)
}

// An engine that fails is the overview's error.
func TestOverviewEngineFails(t *testing.T) {
	t.Parallel()
	w := newCareWorld()
	lost := errors.New("connection lost")
	w.m.fail = func(p string) error {
		if p == "ChargeCounts" {
			return lost
		}
		return nil
	}
	if o, err := w.svc.Overview(context.Background(), careAgent); !errors.Is(err, lost) {
		t.Fatalf("Overview = %+v, %v; want the engine's error", o, err)
	}
}
