package netflix_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// publishedData is an outbox event's data, decoded.
func publishedData(t *testing.T, e webhook.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("event data %s: %v", e.Data, err)
	}
	return m
}

// wantData checks an event's data member by member.
func wantData(t *testing.T, e webhook.Event, want map[string]any) {
	t.Helper()
	got := publishedData(t, e)
	if len(got) != len(want) {
		t.Errorf("%s data %v, want %v", e.Type, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s data %s = %#v, want %#v", e.Type, k, got[k], v)
		}
	}
}

// Each subscription change publishes subscription.changed in its
// transaction, for its operator and customer.
func TestSubscriptionChangesArePublished(t *testing.T) {
	t.Parallel()
	m := withPromotions()
	r := netflix.NewRecords(m)
	ctx := context.Background()
	sub, err := r.CreateSubscription(ctx, newSubscription("c1", "14"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.TransitionSubscription(ctx, 1, "c1", netflix.ActionSuspend, subBy, "unpaid", subAt.Add(1500*1e6)); err != nil {
		t.Fatal(err)
	}
	p := m.data.published
	if len(p) != 2 {
		t.Fatalf("published %+v, want the create and the suspend", p)
	}
	for _, e := range p {
		if e.OperatorID != 1 || e.Type != webhook.SubscriptionChanged || e.Customer != "c1" || e.ID != 0 {
			t.Errorf("published %+v", e)
		}
	}
	if !p[0].CreatedAt.Equal(subAt) || !p[1].CreatedAt.Equal(subAt.Add(1e9)) {
		t.Errorf("published at %v and %v, want the changes' seconds", p[0].CreatedAt, p[1].CreatedAt)
	}
	wantData(t, p[0], map[string]any{
		"number": sub.Number(), "billing_system_customer_identifier": "c1", "action": "create", "from_state": nil,
		"life_cycle_state": "EFFECTIVE", "netflix_state": "EFFECTIVE", "actor": "alice", "reason": nil,
		"changed_at": "2017-02-01T18:11:54Z",
	})
	wantData(t, p[1], map[string]any{
		"number": sub.Number(), "billing_system_customer_identifier": "c1", "action": "suspend", "from_state": "EFFECTIVE",
		"life_cycle_state": "NOT_EFFECTIVE", "netflix_state": "NOT_EFFECTIVE", "actor": "alice", "reason": "unpaid",
		"changed_at": "2017-02-01T18:11:55Z",
	})
}

// A change that fails publishes nothing, and an event that cannot be
// published undoes its change: no change without its event.
func TestPublishingIsPartOfTheChange(t *testing.T) {
	t.Parallel()
	m := withPromotions()
	r := netflix.NewRecords(m)
	ctx := context.Background()
	if _, err := r.CreateSubscription(ctx, newSubscription("c1", "over")); err == nil {
		t.Fatal("create with an expired promotion succeeded")
	}
	if _, err := r.TransitionSubscription(ctx, 1, "nobody", netflix.ActionSuspend, subBy, "", subAt); err == nil {
		t.Fatal("suspend of nobody succeeded")
	}
	if len(m.data.published) != 0 {
		t.Fatalf("refused changes published %+v", m.data.published)
	}
	outboxDown := errors.New("outbox down")
	m.fail = func(primitive string) error {
		if primitive == "PublishEvents" {
			return outboxDown
		}
		return nil
	}
	if _, err := r.CreateSubscription(ctx, newSubscription("c1", "14")); !errors.Is(err, outboxDown) {
		t.Fatalf("create = %v, want the outbox's error", err)
	}
	if _, err := r.IngestCharges(ctx, 1, []netflix.NewCharge{reported("p1", "c1")}, "", intakeAt); !errors.Is(err, outboxDown) {
		t.Fatalf("intake = %v, want the outbox's error", err)
	}
	if written(m) != 0 || len(m.data.charges) != 0 || len(m.data.published) != 0 {
		t.Fatalf("wrote %d subscription records, %d charges and %d events; want none", written(m), len(m.data.charges), len(m.data.published))
	}
}

// Intake publishes charge.created for the charges it inserted, not for
// repeats; settling publishes charge.settled, and the subscription a
// DECLINED charge ends.
func TestChargesArePublished(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	ingest(t, m, "", reported("p1", "effective"), reported("p1", "effective"))
	ingest(t, m, "", reported("p1", "effective"))
	if len(m.data.published) != 1 {
		t.Fatalf("intake published %+v, want one charge.created", m.data.published)
	}
	created := m.data.published[0]
	if created.Type != webhook.ChargeCreated || created.Customer != "effective" || created.OperatorID != 1 || !created.CreatedAt.Equal(intakeAt) {
		t.Errorf("charge.created %+v", created)
	}
	var id int64
	for cid, c := range m.data.charges {
		if c.PartnerChargeID == "p1" {
			id = cid
		}
	}
	wantData(t, created, map[string]any{
		"number": netflix.ChargeNumber(id), "billing_system_customer_identifier": "effective", "partner_charge_id": "p1",
		"status": "PENDING", "amount": 5.99, "currency": "EUR", "received_on": "2017-02-02T23:00:00Z",
	})

	m.data.published = nil
	if _, err := netflix.NewRecords(m).SettleCharges(context.Background(), 10, settleAt, netflix.Settlement); err != nil {
		t.Fatal(err)
	}
	var settled, ended []webhook.Event
	for _, e := range m.data.published {
		switch e.Type {
		case webhook.ChargeSettled:
			settled = append(settled, e)
		case webhook.SubscriptionChanged:
			ended = append(ended, e)
		}
	}
	if len(settled) != 5 || len(ended) != 1 || len(m.data.published) != 6 {
		t.Fatalf("settlement published %+v, want 5 charge.settled and the DECLINED charge's cancel", m.data.published)
	}
	wantData(t, settled[1], map[string]any{
		"number": "I00000002", "billing_system_customer_identifier": "suspended", "partner_charge_id": "nf-suspended",
		"status": "DECLINED", "amount": 5.99, "currency": "EUR", "received_on": "2017-01-31T12:00:00Z",
		"settled_at": "2017-02-02T00:00:00Z", "actor": netflix.SettlementActor,
	})
	wantData(t, ended[0], map[string]any{
		"number": netflix.SubscriptionNumber(12), "billing_system_customer_identifier": "suspended", "action": "cancel",
		"from_state": "NOT_EFFECTIVE", "life_cycle_state": "CANCELLED", "netflix_state": "NOT_EFFECTIVE",
		"actor": netflix.SettlementActor, "reason": "Charge I00000002 settled DECLINED.", "changed_at": "2017-02-02T00:00:00Z",
	})
	// The DECLINED charge's event comes before the cancel it caused.
	for i, e := range m.data.published {
		if e.Type == webhook.SubscriptionChanged && (i == 0 || m.data.published[i-1].Customer != "suspended") {
			t.Errorf("the cancel is published at %d, not right after its charge", i)
		}
	}
}
