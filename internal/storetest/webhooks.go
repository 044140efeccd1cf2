package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// addEndpoint registers an endpoint taking the comma-separated events,
// and returns its id.
func addEndpoint(t *testing.T, s Stores, operatorID int64, url, events string) int64 {
	t.Helper()
	types, err := webhook.ParseEventTypes(events)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := s.Tenancy.CreateEndpoint(context.Background(),
		webhook.Endpoint{OperatorID: operatorID, URL: url, Events: types, CreatedAt: base}, fmt.Sprintf("whsec_%d", operatorID))
	if err != nil {
		t.Fatal(err)
	}
	return ep.ID
}

// outboxRow is an outbox event and its deliveries, as the tables hold them.
type outboxRow struct {
	event, operator int64
	typ, customer   string
	data            string
	endpoints       []int64
}

func outbox(t *testing.T, s Stores) []outboxRow {
	t.Helper()
	rows, err := s.SQL(t).Query(`SELECT e.id, e.operator_id, e.type, e.customer, e.data, d.endpoint_id
		FROM netflix_webhook_events e LEFT JOIN netflix_webhook_deliveries d ON d.event_id = e.id ORDER BY e.id, d.endpoint_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var endpoint *int64
		if err := rows.Scan(&r.event, &r.operator, &r.typ, &r.customer, &r.data, &endpoint); err != nil {
			t.Fatal(err)
		}
		if n := len(out); n > 0 && out[n-1].event == r.event {
			out[n-1].endpoints = append(out[n-1].endpoints, *endpoint)
			continue
		}
		if endpoint != nil {
			r.endpoints = []int64{*endpoint}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testWebhookOutbox: a change writes its events with one delivery per
// endpoint of its own operator taking the type, and nothing when no
// endpoint takes it; an operator's events never reach another's
// endpoints.
func testWebhookOutbox(t *testing.T, open Open) {
	tn := setup(t, open)
	s, n, ctx := tn.stores, tn.stores.Netflix, tn.ctx

	// Before any endpoint, changes write no events.
	ok(n.CreateSubscription(ctx, newSub(tn, "early", "", base))).must(t)
	if rows := outbox(t, s); len(rows) != 0 {
		t.Fatalf("events with no endpoint: %+v", rows)
	}

	subs := addEndpoint(t, s, tn.op.ID, "https://op1.example/subs", "subscription.changed")
	all := addEndpoint(t, s, tn.op.ID, "https://op1.example/all", "charge.created,charge.settled,subscription.changed")
	theirs := addEndpoint(t, s, tn.op2.ID, "https://op2.example/all", "charge.created,charge.settled,subscription.changed")

	sub := ok(n.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
	ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "", base)).must(t)
	ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "", base)).must(t) // a repeat
	ok(n.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("q1", "d1", 100, base)}, "", base)).must(t)

	rows := outbox(t, s)
	if len(rows) != 3 {
		t.Fatalf("outbox %+v, want the create, the charge and the other operator's charge", rows)
	}
	want := []struct {
		operator  int64
		typ       webhook.EventType
		customer  string
		endpoints []int64
	}{
		{tn.op.ID, webhook.SubscriptionChanged, "c1", []int64{subs, all}},
		{tn.op.ID, webhook.ChargeCreated, "c1", []int64{all}},
		{tn.op2.ID, webhook.ChargeCreated, "d1", []int64{theirs}},
	}
	for i, w := range want {
		r := rows[i]
		if r.operator != w.operator || r.typ != string(w.typ) || r.customer != w.customer || !slices.Equal(r.endpoints, w.endpoints) {
			t.Errorf("outbox[%d] = %+v, want %+v", i, r, w)
		}
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(rows[0].data), &data); err != nil || data["number"] != sub.Number() || data["action"] != "create" {
		t.Errorf("subscription.changed data %s (%v)", rows[0].data, err)
	}
	if err := json.Unmarshal([]byte(rows[1].data), &data); err != nil || data["partner_charge_id"] != "p1" || data["amount"] != 5.99 || data["currency"] != "USD" {
		t.Errorf("charge.created data %s (%v)", rows[1].data, err)
	}

	// A factory reset empties the outbox and keeps the endpoints; an
	// event's id is never given again, so that receivers skipping the ids
	// they handled never skip a new event.
	if err := s.FactoryReset(ctx, "admin:ops", base, []string{netflix.Callsign}); err != nil {
		t.Fatal(err)
	}
	if rows := outbox(t, s); len(rows) != 0 {
		t.Fatalf("outbox after the reset: %+v", rows)
	}
	ok(n.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
	after := outbox(t, s)
	if len(after) != 1 || after[0].event <= rows[2].event || !slices.Equal(after[0].endpoints, []int64{subs, all}) {
		t.Fatalf("outbox after the reset and a create: %+v; want a new id after %d, to the endpoints kept", after, rows[2].event)
	}
}

// testWebhookQueue: claims hand out due deliveries once, the earliest
// event first for each endpoint and customer; a claim runs out; an
// outcome is recorded only by the attempt that holds the claim; and
// ended deliveries are purged.
func testWebhookQueue(t *testing.T, open Open) {
	tn := setup(t, open)
	s, n, q, ctx := tn.stores, tn.stores.Netflix, tn.stores.Deliveries, tn.ctx
	ep := addEndpoint(t, s, tn.op.ID, "https://op1.example/hook", "charge.created,subscription.changed")
	theirs := addEndpoint(t, s, tn.op2.ID, "https://op2.example/hook", "charge.created")

	ok(n.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
	ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "", base)).must(t)
	ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p2", "c2", 599, base)}, "", base)).must(t)
	ok(n.IngestCharges(ctx, tn.op2.ID, []netflix.NewCharge{charge("q1", "d1", 100, base)}, "", base)).must(t)
	lease := base.Add(time.Minute)

	// Not due before the events' time.
	if got := ok(q.ClaimDeliveries(ctx, base.Add(-time.Second), lease, 10)).must(t); len(got) != 0 {
		t.Fatalf("claimed %+v before they were due", got)
	}
	// c1's charge waits for c1's subscription event; c2 and d1 do not.
	got := ok(q.ClaimDeliveries(ctx, base, lease, 10)).must(t)
	if len(got) != 3 {
		t.Fatalf("claimed %+v, want c1's first event, c2's and d1's", got)
	}
	first, c2, d1 := got[0], got[1], got[2]
	if first.Event.Type != webhook.SubscriptionChanged || first.Event.Customer != "c1" || first.EndpointID != ep ||
		first.URL != "https://op1.example/hook" || first.Secret != fmt.Sprintf("whsec_%d", tn.op.ID) || first.Number != 1 ||
		!first.RetryUntil.Equal(base.Add(webhook.MaxAge)) || !first.Event.CreatedAt.Equal(base) || first.Event.OperatorID != tn.op.ID {
		t.Errorf("first claim %+v", first)
	}
	if c2.Event.Customer != "c2" || c2.EndpointID != ep || d1.Event.Customer != "d1" || d1.EndpointID != theirs || d1.Secret != fmt.Sprintf("whsec_%d", tn.op2.ID) {
		t.Errorf("claims %+v and %+v", c2, d1)
	}
	// Claimed: nobody else gets them while the claim holds.
	if again := ok(q.ClaimDeliveries(ctx, base.Add(30*time.Second), base.Add(2*time.Minute), 10)).must(t); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}

	// c1's first event delivered: its charge is next.
	if !ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: first.Delivery, Number: 1, State: webhook.Delivered, Status: 200, At: base, NextAttemptAt: base})).must(t) {
		t.Fatal("the claim's outcome was not recorded")
	}
	if ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: first.Delivery, Number: 1, State: webhook.Failed, At: base})).must(t) {
		t.Fatal("a delivered delivery took another outcome")
	}
	next := ok(q.ClaimDeliveries(ctx, base, lease, 10)).must(t)
	if len(next) != 1 || next[0].Event.Type != webhook.ChargeCreated || next[0].Event.Customer != "c1" {
		t.Fatalf("after c1's first event, claimed %+v; want c1's charge", next)
	}

	// A failure is retried when due, with the attempt counted.
	retryAt := base.Add(10 * time.Second)
	if !ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: c2.Delivery, Number: 1, State: webhook.Pending, NextAttemptAt: retryAt, Status: 503, Error: "answered HTTP 503", At: base})).must(t) {
		t.Fatal("failure not recorded")
	}
	if got := ok(q.ClaimDeliveries(ctx, retryAt.Add(-time.Second), lease, 10)).must(t); len(got) != 0 {
		t.Fatalf("claimed %+v before its retry", got)
	}
	retry := ok(q.ClaimDeliveries(ctx, retryAt, lease, 10)).must(t)
	if len(retry) != 1 || retry[0].Delivery != c2.Delivery || retry[0].Number != 2 {
		t.Fatalf("retry claimed %+v, want c2's second attempt", retry)
	}
	// Its claim runs out (its process died): claimed again, and the late
	// outcome of the attempt before is not recorded.
	third := ok(q.ClaimDeliveries(ctx, lease, lease.Add(time.Minute), 10)).must(t)
	var thirdC2 *webhook.Attempt
	for i := range third {
		if third[i].Delivery == c2.Delivery {
			thirdC2 = &third[i]
		}
	}
	if thirdC2 == nil || thirdC2.Number != 3 {
		t.Fatalf("after the claim ran out, claimed %+v; want c2's third attempt", third)
	}
	if ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: c2.Delivery, Number: 2, State: webhook.Delivered, At: lease})).must(t) {
		t.Fatal("an attempt that outlived its claim recorded its outcome")
	}
	if !ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: c2.Delivery, Number: 3, State: webhook.Failed, Error: "gave up", At: lease, NextAttemptAt: lease})).must(t) {
		t.Fatal("the third attempt's outcome was not recorded")
	}
	for _, a := range third {
		if a.Delivery != c2.Delivery {
			ok(q.RecordAttempt(ctx, webhook.Outcome{Delivery: a.Delivery, Number: a.Number, State: webhook.Delivered, At: lease, NextAttemptAt: lease})).must(t)
		}
	}
	if got := ok(q.ClaimDeliveries(ctx, base.Add(time.Hour), base.Add(2*time.Hour), 10)).must(t); len(got) != 0 {
		t.Fatalf("ended deliveries claimed: %+v", got)
	}

	// Purged once ended long enough; the events go with their last
	// delivery.
	if n := ok(q.PurgeDeliveries(ctx, lease)).must(t); n != 1 {
		t.Fatalf("purged %d before the cut-off, want c1's first (the others ended at it)", n)
	}
	if rows := outbox(t, s); len(rows) != 3 {
		t.Fatalf("outbox %+v, want the three events with deliveries left", rows)
	}
	if n := ok(q.PurgeDeliveries(ctx, lease.Add(time.Second))).must(t); n != 3 {
		t.Fatalf("purged %d, want the 3 left", n)
	}
	if rows := outbox(t, s); len(rows) != 0 {
		t.Fatalf("events left after their deliveries were purged: %+v", rows)
	}
}

// testWebhookClaimsApart: processes claiming side by side never get the same
// attempt.
func testWebhookClaimsApart(t *testing.T, open Open) {
	tn := setup(t, open)
	s, n, ctx := tn.stores, tn.stores.Netflix, tn.ctx
	addEndpoint(t, s, tn.op.ID, "https://op1.example/hook", "subscription.changed")
	const customers = 40
	for i := range customers {
		ok(n.CreateSubscription(ctx, newSub(tn, fmt.Sprintf("c%02d", i), "", base))).must(t)
	}
	other := s.Again(t)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, q := range []webhook.Store{s.Deliveries, other.Deliveries, s.Deliveries, other.Deliveries} {
		wg.Go(func() {
			for {
				got, err := q.ClaimDeliveries(ctx, base, base.Add(time.Minute), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, a := range got {
					seen[a.Delivery]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != customers {
		t.Fatalf("claimed %d deliveries, want %d", len(seen), customers)
	}
	for id, times := range seen {
		if times != 1 {
			t.Errorf("delivery %d claimed %d times", id, times)
		}
	}
}
