package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

func usd(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "USD"} }

func charge(partnerID, customer string, minor int64, received time.Time) netflix.NewCharge {
	return netflix.NewCharge{PartnerChargeID: partnerID, Customer: customer, Amount: usd(minor),
		PaidThroughDate: received.AddDate(0, 1, 0), ReceivedOn: received}
}

func list(t *testing.T, tn *tenant, operatorID int64, processed bool) []netflix.Charge {
	t.Helper()
	return ok(tn.stores.Netflix.UnacknowledgedCharges(tn.ctx, operatorID, netflix.ListRequest{Processed: processed, Limit: 50})).must(t)
}

func numbers(cs []netflix.Charge) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Number()
	}
	return out
}

func testCharges(t *testing.T, open Open) {
	t.Run("Pending", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		if p := ok(s.PendingCharges(ctx, base)).must(t); p.Count != 0 || !p.Oldest.IsZero() {
			t.Fatalf("empty store: %+v", p)
		}
		ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "", base.Add(time.Minute))).must(t)
		ok(s.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("p2", "c2", 599, base), charge("p3", "c3", 599, base)}, "", base.Add(2*time.Minute))).must(t)
		// Every operator counts; the oldest is by arrival, not received_on.
		if p := ok(s.PendingCharges(ctx, base)).must(t); p.Count != 3 || !p.Oldest.Equal(base.Add(time.Minute)) {
			t.Fatalf("three waiting: %+v", p)
		}
		ok(s.SettleCharges(ctx, 1, base.Add(3*time.Minute), netflix.Settlement)).must(t)
		if p := ok(s.PendingCharges(ctx, base)).must(t); p.Count != 2 || !p.Oldest.Equal(base.Add(2*time.Minute)) {
			t.Fatalf("after settling the oldest: %+v", p)
		}
		ok(s.SettleCharges(ctx, 10, base.Add(3*time.Minute), netflix.Settlement)).must(t)
		if p := ok(s.PendingCharges(ctx, base)).must(t); p.Count != 0 || !p.Oldest.IsZero() {
			t.Fatalf("all settled: %+v", p)
		}
	})
	t.Run("Ingest", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		batch := []netflix.NewCharge{
			charge("p1", "c1", 599, base),
			charge("p2", "c2", 299, base.Add(time.Second)),
			charge("p1", "c1", 599, base), // repeated inside the report
		}
		batch[1].LocalAmount = money.Amount{Minor: 550, Currency: "EUR"}
		res := ok(s.IngestCharges(ctx, tn.op.ID, batch, "sig-1", base)).must(t)
		if len(res) != 3 || res[0].Duplicate || res[1].Duplicate || !res[2].Duplicate || res[2].ChargeID != res[0].ChargeID || res[0].ChargeID == res[1].ChargeID {
			t.Fatalf("results %+v", res)
		}
		cs := list(t, tn, tn.op.ID, false)
		if len(cs) != 2 {
			t.Fatalf("%d charges stored, want 2", len(cs))
		}
		c := cs[1]
		if c.ID != res[1].ChargeID || c.PartnerChargeID != "p2" || c.Customer != "c2" || c.Amount != usd(299) ||
			c.LocalAmount != (money.Amount{Minor: 550, Currency: "EUR"}) || c.Status != netflix.Pending ||
			!c.ReceivedOn.Equal(base.Add(time.Second)) || !c.PaidThroughDate.Equal(base.Add(time.Second).AddDate(0, 1, 0)) ||
			!c.ApprovedOn.IsZero() || c.OperatorID != tn.op.ID {
			t.Fatalf("stored %+v", c)
		}
		if cs[0].LocalAmount.Currency != "" {
			t.Fatalf("local amount invented: %+v", cs[0].LocalAmount)
		}

		// Reported again (a retry): the same numbers, nothing new.
		again := ok(s.IngestCharges(ctx, tn.op.ID, batch[:2], "sig-2", base)).must(t)
		if !again[0].Duplicate || !again[1].Duplicate || again[0].ChargeID != res[0].ChargeID || again[1].ChargeID != res[1].ChargeID {
			t.Fatalf("retry results %+v", again)
		}
		// The same report sent again is answered as the first time: what it
		// created is new again, what it repeated a duplicate; nothing is
		// stored. The report is per operator.
		first := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{batch[0], charge("p3", "c3", 100, base)}, "sig-3", base)).must(t)
		resent := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{batch[0], charge("p3", "c3", 100, base)}, "sig-3", base)).must(t)
		// Inserted tells what this very call stored: nothing when re-sent.
		if !first[1].Inserted || first[0].Inserted || resent[0].Inserted || resent[1].Inserted {
			t.Fatalf("inserted: first %+v, re-sent %+v; want the first's p3 alone", first, resent)
		}
		resent[1].Inserted = true
		if !first[0].Duplicate || first[1].Duplicate || !reflect.DeepEqual(first, resent) {
			t.Fatalf("first answer %+v, re-sent %+v", first, resent)
		}
		if n := len(list(t, tn, tn.op.ID, false)); n != 3 {
			t.Fatalf("%d charges after a re-sent report, want 3", n)
		}
		// Another report repeating p3, and a load without a report, get
		// duplicates.
		for _, report := range []string{"sig-4", ""} {
			again := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p3", "c3", 100, base)}, report, base)).must(t)
			if !again[0].Duplicate || again[0].ChargeID != first[1].ChargeID {
				t.Fatalf("report %q: %+v", report, again)
			}
		}
		// None of those repeats drew a number: the next charge takes the
		// one after the last created.
		if next := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p4", "c4", 100, base)}, "sig-5", base)).must(t); next[0].ChargeID != first[1].ChargeID+1 {
			t.Fatalf("the charge after repeats is %d, want %d", next[0].ChargeID, first[1].ChargeID+1)
		}
		// The same report name at another operator is another report.
		if r := ok(s.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("p1", "c1", 100, base)}, "sig-1", base)).must(t); r[0].Duplicate {
			t.Fatalf("op2: %+v", r)
		}

		// The same partner id at another operator is another charge; an
		// operator sees only its own.
		theirs := list(t, tn, tn.op2.ID, false)
		if len(theirs) != 1 || theirs[0].ID == res[0].ChargeID {
			t.Fatalf("op2 charges %+v", theirs)
		}

		// A fixed number (example data) is kept, and later numbers follow it.
		fixed := charge("demo", "c9", 599, base)
		fixed.ID = 2662
		r := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{fixed}, "", base)).must(t)
		next := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("after", "c9", 1, base)}, "", base)).must(t)
		if r[0].ChargeID != 2662 || next[0].ChargeID <= 2662 {
			t.Fatalf("fixed id %d, next %d", r[0].ChargeID, next[0].ChargeID)
		}
		evs := ok(s.ChargeEvents(ctx, tn.op.ID, 2662)).must(t)
		if len(evs) != 1 || evs[0].From != "" || evs[0].To != netflix.Pending || evs[0].Actor != "partner" {
			t.Fatalf("intake history %+v", evs)
		}
	})

	t.Run("ListOrder", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		// Received out of order; ties broken by number.
		res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{
			charge("a", "c", 1, base.Add(2*time.Hour)),
			charge("b", "c", 1, base),
			charge("c", "c", 1, base.Add(time.Hour)),
			charge("d", "c", 1, base),
		}, "", base)).must(t)
		want := []int64{res[1].ChargeID, res[3].ChargeID, res[2].ChargeID, res[0].ChargeID}
		got := list(t, tn, tn.op.ID, false)
		for i, id := range want {
			if got[i].ID != id {
				t.Fatalf("order %v, want ids %v", numbers(got), want)
			}
		}
		page := ok(s.UnacknowledgedCharges(ctx, tn.op.ID, netflix.ListRequest{Limit: 2, Offset: 1})).must(t)
		if len(page) != 2 || page[0].ID != want[1] || page[1].ID != want[2] {
			t.Fatalf("limit 2 offset 1 = %v", numbers(page))
		}
		if len(list(t, tn, tn.op.ID, true)) != 0 {
			t.Fatal("PENDING charges listed as processed")
		}
	})

	t.Run("Settle", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		// One customer per state of the subscription.
		for _, c := range []string{"effective", "suspended", "cancelled"} {
			ok(s.CreateSubscription(ctx, newSub(tn, c, "", base))).must(t)
		}
		ok(s.TransitionSubscription(ctx, tn.op.ID, "suspended", netflix.ActionSuspend, tn.caller, "", base)).must(t)
		ok(s.TransitionSubscription(ctx, tn.op.ID, "cancelled", netflix.ActionCancel, tn.caller, "", base)).must(t)
		res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{
			charge("1", "effective", 599, base), charge("2", "suspended", 599, base),
			charge("3", "cancelled", 599, base), charge("4", "nobody", 599, base),
			charge("5", "effective", 299, base), charge("6", "effective", 599, base),
		}, "", base)).must(t)

		// A settlement that fails half-way changes nothing.
		calls := 0
		_, err := s.SettleCharges(ctx, 10, base, func(c netflix.Charge, sub *netflix.Subscription) netflix.ChargeStatus {
			calls++
			if calls == 3 {
				return "BOGUS"
			}
			return netflix.Settlement(c, sub)
		})
		if err == nil {
			t.Fatal("a bogus settlement was committed")
		}
		if n := len(list(t, tn, tn.op.ID, false)); n != 6 {
			t.Fatalf("%d PENDING after a failed settlement, want all 6", n)
		}
		if v := ok(s.LatestSubscription(ctx, tn.op.ID, "suspended", base)).must(t); v.LifeCycleState != netflix.NotEffective {
			t.Fatalf("a failed settlement cancelled a subscription: %+v", v.Subscription)
		}
		if v := ok(s.LatestSubscription(ctx, tn.op.ID, "effective", base)).must(t); len(v.Prices) != 0 {
			t.Fatalf("a failed settlement left prices %+v", v.Prices)
		}

		at := base.Add(time.Minute)
		if n := ok(s.SettleCharges(ctx, 4, at, netflix.Settlement)).must(t); len(n) != 4 {
			t.Fatalf("settled %d, want the batch of 4", len(n))
		}
		if n := ok(s.SettleCharges(ctx, 4, at, netflix.Settlement)).must(t); len(n) != 2 {
			t.Fatalf("settled %d, want the remaining 2", len(n))
		}
		if n := ok(s.SettleCharges(ctx, 4, at, netflix.Settlement)).must(t); len(n) != 0 {
			t.Fatalf("settled %d with nothing PENDING", len(n))
		}
		byID := map[int64]netflix.Charge{}
		for _, c := range list(t, tn, tn.op.ID, true) {
			byID[c.ID] = c
		}
		want := []netflix.ChargeStatus{netflix.Approved, netflix.Declined, netflix.Rejected, netflix.BadRequest, netflix.Approved, netflix.Approved}
		for i, w := range want {
			c := byID[res[i].ChargeID]
			if c.Status != w {
				t.Fatalf("charge %d: %s, want %s", i+1, c.Status, w)
			}
			dates := map[netflix.ChargeStatus]time.Time{netflix.Approved: c.ApprovedOn, netflix.Declined: c.DeclinedOn, netflix.BadRequest: c.BadRequestOn, netflix.Rejected: c.RejectedOn}
			for st, d := range dates {
				if (st == w) != d.Equal(at) || (st != w && !d.IsZero()) {
					t.Fatalf("charge %d (%s): set_as dates %+v", i+1, w, dates)
				}
			}
			evs := ok(s.ChargeEvents(ctx, tn.op.ID, c.ID)).must(t)
			if len(evs) != 2 || evs[1].From != netflix.Pending || evs[1].To != w || evs[1].Actor != netflix.SettlementActor || !evs[1].At.Equal(at) {
				t.Fatalf("charge %d history %+v", i+1, evs)
			}
		}
		// DECLINED ended the suspended subscription; the others stand.
		for customer, state := range map[string]netflix.State{"effective": netflix.Effective, "suspended": netflix.Cancelled, "cancelled": netflix.Cancelled} {
			v := ok(s.LatestSubscription(ctx, tn.op.ID, customer, base)).must(t)
			if v.LifeCycleState != state {
				t.Fatalf("%s is %s, want %s", customer, v.LifeCycleState, state)
			}
		}
		v := ok(s.LatestSubscription(ctx, tn.op.ID, "suspended", base)).must(t)
		evs := ok(s.SubscriptionEvents(ctx, tn.op.ID, v.ID)).must(t)
		if last := evs[len(evs)-1]; last.Action != netflix.ActionCancel || last.ActorUsername != netflix.SettlementActor || last.From != netflix.NotEffective {
			t.Fatalf("settlement cancel audit %+v", last)
		}
		// Distinct approved prices, in the order first charged; a declined
		// or rejected charge has none, and another operator's customer of
		// the same name has none of these.
		prices := ok(s.LatestSubscription(ctx, tn.op.ID, "effective", base)).must(t).Prices
		if len(prices) != 2 || prices[0] != usd(599) || prices[1] != usd(299) {
			t.Fatalf("prices %+v, want 5.99 then 2.99", prices)
		}
		for _, customer := range []string{"suspended", "cancelled"} {
			if v := ok(s.LatestSubscription(ctx, tn.op.ID, customer, base)).must(t); len(v.Prices) != 0 {
				t.Fatalf("%s: prices %+v of charges not approved", customer, v.Prices)
			}
		}
		ok(s.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: tn.op2.ID, At: base,
			Request: netflix.CreateRequest{Customer: "effective"}})).must(t)
		if v := ok(s.LatestSubscription(ctx, tn.op2.ID, "effective", base)).must(t); len(v.Prices) != 0 {
			t.Fatalf("another operator's customer shows prices %+v", v.Prices)
		}
	})

	t.Run("Acknowledge", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{
			charge("1", "c1", 599, base), charge("2", "c1", 599, base.Add(time.Second)), charge("3", "c2", 599, base.Add(2*time.Second)),
		}, "", base)).must(t)
		theirs := ok(s.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("x", "c1", 599, base)}, "", base)).must(t)
		n1, n2, n3 := netflix.ChargeNumber(res[0].ChargeID), netflix.ChargeNumber(res[1].ChargeID), netflix.ChargeNumber(res[2].ChargeID)
		ack := func(acks ...netflix.Ack) []netflix.AckFailure {
			t.Helper()
			return ok(s.AcknowledgeCharges(ctx, tn.op.ID, acks, tn.caller, base)).must(t)
		}
		wantFailures := func(got []netflix.AckFailure, want ...netflix.AckFailure) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("failures %+v, want %+v", got, want)
			}
		}
		// Per-item failures; the good item of the same call succeeds.
		wantFailures(ack(
			netflix.Ack{Number: n1, Customer: "c1", ReferenceNumber: "R1"},
			netflix.Ack{Number: n3, Customer: "pp", ReferenceNumber: "R3"},
			netflix.Ack{Number: "I99999999", Customer: "c1"},
			netflix.Ack{Number: "garbage", Customer: "c1"},
			netflix.Ack{Number: netflix.ChargeNumber(theirs[0].ChargeID), Customer: "c1"},
			netflix.Ack{Number: n2, Customer: "c1", ReferenceNumber: "R1"},
		),
			netflix.AckFailure{Number: n3, ReferenceNumber: "R3", Code: netflix.AckWrongCustomer},
			netflix.AckFailure{Number: "I99999999", Code: netflix.AckNotFound},
			netflix.AckFailure{Number: "garbage", Code: netflix.AckNotFound},
			netflix.AckFailure{Number: netflix.ChargeNumber(theirs[0].ChargeID), Code: netflix.AckNotFound},
			netflix.AckFailure{Number: n2, ReferenceNumber: "R1", Code: netflix.AckReferenceInUse},
		)
		if got := numbers(list(t, tn, tn.op.ID, false)); fmt.Sprint(got) != fmt.Sprint([]string{n2, n3}) {
			t.Fatalf("unacknowledged PENDING %v, want %s %s", got, n2, n3)
		}
		// A repeat is a no-op success, whatever reference it carries.
		wantFailures(ack(netflix.Ack{Number: n1, Customer: "c1", ReferenceNumber: "R1"}, netflix.Ack{Number: n1, Customer: "c1", ReferenceNumber: "other"}))
		// Reference numbers are unique per operator, not across operators.
		ok(s.AcknowledgeCharges(ctx, tn.op2.ID, []netflix.Ack{{Number: netflix.ChargeNumber(theirs[0].ChargeID), Customer: "c1", ReferenceNumber: "R1"}}, tn.caller, base)).must(t)

		// Acknowledged while PENDING, then settled: it shows again under
		// PROCESSED until that status is acknowledged too.
		ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
		processed := numbers(list(t, tn, tn.op.ID, true))
		if fmt.Sprint(processed) != fmt.Sprint([]string{n1, n2, n3}) {
			t.Fatalf("PROCESSED %v, want all three", processed)
		}
		wantFailures(ack(netflix.Ack{Number: n1, Customer: "c1", ReferenceNumber: "R1-approved"}))
		if got := numbers(list(t, tn, tn.op.ID, true)); fmt.Sprint(got) != fmt.Sprint([]string{n2, n3}) {
			t.Fatalf("PROCESSED after acknowledging %s: %v", n1, got)
		}
		if len(list(t, tn, tn.op.ID, false)) != 0 {
			t.Fatal("settled charges still listed as PENDING")
		}
	})
}

func testChargeSafety(t *testing.T, open Open) {
	t.Run("AcknowledgedUnseen", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("1", "c1", 599, base), charge("2", "c1", 599, base)}, "", base)).must(t)
		n1, n2 := netflix.ChargeNumber(res[0].ChargeID), netflix.ChargeNumber(res[1].ChargeID)
		// The operator lists both as PENDING; then both are approved before
		// the operator acknowledges.
		if got := numbers(list(t, tn, tn.op.ID, false)); fmt.Sprint(got) != fmt.Sprint([]string{n1, n2}) {
			t.Fatalf("PENDING %v", got)
		}
		ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
		failures := ok(s.AcknowledgeCharges(ctx, tn.op.ID, []netflix.Ack{
			{Number: n1, Customer: "c1", ReferenceNumber: "INV-1"}, {Number: n2, Customer: "c1"},
		}, tn.caller, base)).must(t)
		if len(failures) != 0 {
			t.Fatalf("failures %+v", failures)
		}
		// That acknowledgement covered the PENDING they saw: the APPROVED
		// status, never shown, is still listed, so it will be billed.
		if got := numbers(list(t, tn, tn.op.ID, true)); fmt.Sprint(got) != fmt.Sprint([]string{n1, n2}) {
			t.Fatalf("PROCESSED after acknowledging what was seen as PENDING: %v, want both", got)
		}
		// The same reference may follow the charge to its next status; it
		// stays refused for any other charge.
		failures = ok(s.AcknowledgeCharges(ctx, tn.op.ID, []netflix.Ack{
			{Number: n1, Customer: "c1", ReferenceNumber: "INV-1"}, {Number: n2, Customer: "c1", ReferenceNumber: "INV-1"},
		}, tn.caller, base)).must(t)
		if len(failures) != 1 || failures[0].Number != n2 || failures[0].Code != netflix.AckReferenceInUse {
			t.Fatalf("failures %+v, want only %s refused for INV-1", failures, n2)
		}
		if got := numbers(list(t, tn, tn.op.ID, true)); fmt.Sprint(got) != fmt.Sprint([]string{n2}) {
			t.Fatalf("PROCESSED %v, want only %s", got, n2)
		}
		// A charge never listed as PENDING is acknowledged in its current
		// status at once.
		more := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("3", "c1", 599, base)}, "", base)).must(t)
		ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
		n3 := netflix.ChargeNumber(more[0].ChargeID)
		ok(s.AcknowledgeCharges(ctx, tn.op.ID, []netflix.Ack{{Number: n3, Customer: "c1"}}, tn.caller, base)).must(t)
		for _, n := range numbers(list(t, tn, tn.op.ID, true)) {
			if n == n3 {
				t.Fatalf("%s still listed after acknowledging its settled status", n3)
			}
		}
	})

	t.Run("ConflictingRepeat", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		first := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p", "c1", 599, base)}, "", base)).must(t)
		for name, c := range map[string]netflix.NewCharge{
			"amount":      charge("p", "c1", 699, base),
			"currency":    {PartnerChargeID: "p", Customer: "c1", Amount: money.Amount{Minor: 599, Currency: "EUR"}, ReceivedOn: base},
			"customer":    charge("p", "c2", 599, base),
			"received_on": charge("p", "c1", 599, base.Add(time.Second)),
		} {
			r := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{c}, "", base)).must(t)
			if carebridge.ErrorCode(r[0].Err) != carebridge.ECONFLICT || r[0].ChargeID != 0 {
				t.Errorf("repeat with another %s: %+v, want a conflict", name, r[0])
			}
		}
		same := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p", "c1", 599, base)}, "", base)).must(t)
		if !same[0].Duplicate || same[0].ChargeID != first[0].ChargeID || same[0].Err != nil {
			t.Fatalf("identical repeat %+v", same[0])
		}
		if n := len(list(t, tn, tn.op.ID, false)); n != 1 {
			t.Fatalf("%d charges stored, want 1", n)
		}
	})
}
