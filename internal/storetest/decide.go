package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

// testDecisions is charges/accept and charges/decline: the operator
// settles its PENDING charges itself, per-item failures as
// acknowledgements answer them, and "4" for a charge no longer PENDING.
func testDecisions(t *testing.T, open Open) {
	t.Run("AcceptDecline", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		ok(s.CreateSubscription(ctx, newSub(tn, "c2", "", base))).must(t)
		res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{
			charge("1", "c1", 599, base), charge("2", "c1", 299, base), charge("3", "c2", 599, base), charge("4", "c2", 599, base),
		}, "", base)).must(t)
		theirs := ok(s.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("x", "c1", 599, base)}, "", base)).must(t)
		n := func(i int) string { return netflix.ChargeNumber(res[i].ChargeID) }
		at := base.Add(time.Hour)
		decide := func(status netflix.ChargeStatus, ds ...netflix.Decision) ([]netflix.AckFailure, []netflix.Settled) {
			t.Helper()
			f, settled, err := s.DecideCharges(ctx, tn.op.ID, ds, status, tn.caller, at)
			if err != nil {
				t.Fatal(err)
			}
			return f, settled
		}
		// An acknowledgement holds R0: decisions share the operator's
		// reference numbers.
		ok(s.AcknowledgeCharges(ctx, tn.op.ID, []netflix.Ack{{Number: n(3), Customer: "c2", ReferenceNumber: "R0"}}, tn.caller, base)).must(t)

		failures, settled := decide(netflix.Approved,
			netflix.Decision{Number: n(0), Customer: "c1", ReferenceNumber: "R1"},
			netflix.Decision{Number: n(0), Customer: "c1"}, // the same charge again: no longer PENDING
			netflix.Decision{Number: n(1), Customer: "c2"},
			netflix.Decision{Number: "I99999999", Customer: "c1"},
			netflix.Decision{Number: "garbage", Customer: "c1"},
			netflix.Decision{Number: netflix.ChargeNumber(theirs[0].ChargeID), Customer: "c1"},
			netflix.Decision{Number: n(1), Customer: "c1", ReferenceNumber: "R0"},
		)
		want := []netflix.AckFailure{
			{Number: n(0), Code: netflix.AckNoLongerPending},
			{Number: n(1), Code: netflix.AckWrongCustomer},
			{Number: "I99999999", Code: netflix.AckNotFound},
			{Number: "garbage", Code: netflix.AckNotFound},
			{Number: netflix.ChargeNumber(theirs[0].ChargeID), Code: netflix.AckNotFound},
			{Number: n(1), ReferenceNumber: "R0", Code: netflix.AckReferenceInUse},
		}
		if fmt.Sprint(failures) != fmt.Sprint(want) {
			t.Fatalf("failures %+v, want %+v", failures, want)
		}
		if len(settled) != 1 || settled[0].Charge != (netflix.ChargeChange{OperatorID: tn.op.ID, Number: n(0), Customer: "c1", Status: netflix.Approved}) || settled[0].Cancelled != nil {
			t.Fatalf("settled %+v", settled)
		}
		evs := ok(s.ChargeEvents(ctx, tn.op.ID, res[0].ChargeID)).must(t)
		if len(evs) != 2 || evs[1].From != netflix.Pending || evs[1].To != netflix.Approved || evs[1].Actor != "alice" || !evs[1].At.Equal(at) {
			t.Fatalf("history %+v", evs)
		}
		if v := ok(s.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t); len(v.Prices) != 1 || v.Prices[0] != usd(599) || v.LifeCycleState != netflix.Effective {
			t.Fatalf("c1 after accepting: %+v", v)
		}

		// Declining ends the customer's subscription, in the caller's name.
		failures, settled = decide(netflix.Declined,
			netflix.Decision{Number: n(2), Customer: "c2", ReferenceNumber: "R1"}, // R1 is the first charge's
			netflix.Decision{Number: n(2), Customer: "c2", ReferenceNumber: "R2"},
			netflix.Decision{Number: n(0), Customer: "c1"},
		)
		want = []netflix.AckFailure{
			{Number: n(2), ReferenceNumber: "R1", Code: netflix.AckReferenceInUse},
			{Number: n(0), Code: netflix.AckNoLongerPending},
		}
		if fmt.Sprint(failures) != fmt.Sprint(want) {
			t.Fatalf("failures %+v, want %+v", failures, want)
		}
		if len(settled) != 1 || settled[0].Charge.Status != netflix.Declined || settled[0].Cancelled == nil ||
			settled[0].Cancelled.LifeCycleState != netflix.Cancelled || settled[0].Cancelled.Actor != "alice" ||
			settled[0].Cancelled.Reason != "Charge "+n(2)+" declined." {
			t.Fatalf("settled %+v (cancelled %+v)", settled, settled[0].Cancelled)
		}
		v := ok(s.LatestSubscription(ctx, tn.op.ID, "c2", base)).must(t)
		if v.LifeCycleState != netflix.Cancelled || len(v.Prices) != 0 {
			t.Fatalf("c2 after declining: %+v", v)
		}
		subEvs := ok(s.SubscriptionEvents(ctx, tn.op.ID, v.ID)).must(t)
		if last := subEvs[len(subEvs)-1]; last.Action != netflix.ActionCancel || last.ActorUsername != "alice" || last.ActorUserID != tn.caller.UserID ||
			last.Reason != "Charge "+n(2)+" declined." || !last.At.Equal(at) {
			t.Fatalf("cancel audit %+v", last)
		}
		// The decided charges are listed as processed, to acknowledge;
		// the processor settles only what is left.
		if got := numbers(list(t, tn, tn.op.ID, true)); fmt.Sprint(got) != fmt.Sprint([]string{n(0), n(2)}) {
			t.Fatalf("PROCESSED %v", got)
		}
		if got := ok(s.SettleCharges(ctx, 10, at, netflix.Settlement)).must(t); len(got) != 3 {
			t.Fatalf("processor settled %d, want 3 (two of the operator's, one of the other)", len(got))
		}
		failures, _ = decide(netflix.Declined, netflix.Decision{Number: n(1), Customer: "c1"})
		if len(failures) != 1 || failures[0].Code != netflix.AckNoLongerPending {
			t.Fatalf("declining a settled charge: %+v", failures)
		}
	})

	t.Run("ConcurrentDecisions", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		other := tn.stores.Again(t).Netflix
		ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		for round := range 5 {
			res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge(fmt.Sprint("r", round), "c1", 599, base)}, "", base)).must(t)
			d := []netflix.Decision{{Number: netflix.ChargeNumber(res[0].ChargeID), Customer: "c1"}}
			var wg sync.WaitGroup
			var accepted, declined []netflix.AckFailure
			var errA, errD error
			wg.Add(2)
			go func() {
				defer wg.Done()
				accepted, _, errA = s.DecideCharges(ctx, tn.op.ID, d, netflix.Approved, tn.caller, base)
			}()
			go func() {
				defer wg.Done()
				declined, _, errD = other.DecideCharges(ctx, tn.op.ID, d, netflix.Declined, tn.caller, base)
			}()
			wg.Wait()
			if errA != nil || errD != nil {
				t.Fatalf("round %d: %v, %v", round, errA, errD)
			}
			if len(accepted)+len(declined) != 1 {
				t.Fatalf("round %d: accept failed %+v, decline failed %+v; want exactly one to win", round, accepted, declined)
			}
			for _, f := range append(accepted, declined...) {
				if f.Code != netflix.AckNoLongerPending {
					t.Fatalf("round %d: loser's failure %+v", round, f)
				}
			}
			evs := ok(s.ChargeEvents(ctx, tn.op.ID, res[0].ChargeID)).must(t)
			if len(evs) != 2 {
				t.Fatalf("round %d: history %+v, want one settlement", round, evs)
			}
		}
	})

	t.Run("OperatorDecides", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ts, ctx := tn.stores.Netflix, tn.stores.Tenancy, tn.ctx
		if d, deadline, err := ts.ChargeDecision(ctx, tn.op.ID); err != nil || d != netflix.DecisionAuto || deadline != netflix.DefaultDecisionDeadline {
			t.Fatalf("default decision %q %s, %v", d, deadline, err)
		}
		wantCode(t, ts.SetChargeDecision(ctx, tn.op.ID, "nobody", time.Hour), carebridge.EINVALID)
		wantCode(t, ts.SetChargeDecision(ctx, tn.op.ID, netflix.DecisionOperator, 59*time.Second), carebridge.EINVALID)
		wantCode(t, ts.SetChargeDecision(ctx, tn.op.ID, netflix.DecisionOperator, 721*time.Hour), carebridge.EINVALID)
		wantCode(t, ts.SetChargeDecision(ctx, 999999, netflix.DecisionOperator, time.Hour), carebridge.ENOTFOUND)
		_, _, err := ts.ChargeDecision(ctx, 999999)
		wantCode(t, err, carebridge.ENOTFOUND)
		if err := ts.SetChargeDecision(ctx, tn.op.ID, netflix.DecisionOperator, time.Hour); err != nil {
			t.Fatal(err)
		}
		if d, deadline, err := ts.ChargeDecision(ctx, tn.op.ID); err != nil || d != netflix.DecisionOperator || deadline != time.Hour {
			t.Fatalf("decision %q %s, %v", d, deadline, err)
		}
		ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		mine := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("1", "c1", 599, base), charge("2", "c1", 599, base)}, "", base)).must(t)
		late := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("3", "c1", 599, base)}, "", base.Add(time.Minute))).must(t)
		theirs := ok(s.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("x", "c1", 599, base)}, "", base)).must(t)
		settledIDs := func(at time.Time) []string {
			t.Helper()
			var out []string
			for _, st := range ok(s.SettleCharges(ctx, 10, at, netflix.Settlement)).must(t) {
				out = append(out, st.Charge.Number)
			}
			return out
		}
		// Before the deadline the processor leaves the operator's charges
		// alone; another operator's are settled as ever.
		if got := settledIDs(base.Add(time.Hour - time.Second)); fmt.Sprint(got) != fmt.Sprint([]string{netflix.ChargeNumber(theirs[0].ChargeID)}) {
			t.Fatalf("settled before the deadline: %v", got)
		}
		// The backlog counts them, but dates only what the processor owes.
		if p := ok(s.PendingCharges(ctx, base.Add(time.Hour-time.Second))).must(t); p.Count != 3 || !p.Oldest.IsZero() {
			t.Fatalf("backlog before the deadline: %+v", p)
		}
		if p := ok(s.PendingCharges(ctx, base.Add(time.Hour))).must(t); p.Count != 3 || !p.Oldest.Equal(base) {
			t.Fatalf("backlog at the deadline: %+v", p)
		}
		failures, _, err := s.DecideCharges(ctx, tn.op.ID, []netflix.Decision{{Number: netflix.ChargeNumber(mine[0].ChargeID), Customer: "c1"}}, netflix.Approved, tn.caller, base)
		if err != nil || len(failures) != 0 {
			t.Fatalf("accept: %+v, %v", failures, err)
		}
		// At the deadline, what is still PENDING is settled by the
		// subscription's state, each charge by its own arrival.
		if got := settledIDs(base.Add(time.Hour)); fmt.Sprint(got) != fmt.Sprint([]string{netflix.ChargeNumber(mine[1].ChargeID)}) {
			t.Fatalf("settled at the deadline: %v", got)
		}
		if got := settledIDs(base.Add(time.Hour + 59*time.Second)); len(got) != 0 {
			t.Fatalf("settled before the last charge's deadline: %v", got)
		}
		// Back to auto: at once.
		if err := ts.SetChargeDecision(ctx, tn.op.ID, netflix.DecisionAuto, time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := settledIDs(base.Add(2 * time.Minute)); fmt.Sprint(got) != fmt.Sprint([]string{netflix.ChargeNumber(late[0].ChargeID)}) {
			t.Fatalf("settled once auto: %v", got)
		}
	})
}
