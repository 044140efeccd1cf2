package netflix_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

var settleAt = time.Date(2017, 2, 2, 0, 0, 0, 0, time.UTC)

// settleWorld holds, for operator 1, a customer per subscription state
// and one without a subscription, each with one PENDING charge (charge i
// for customer i).
func settleWorld() *memory {
	m := newMemory()
	for i, c := range []struct {
		customer string
		state    netflix.State
	}{{"effective", netflix.Effective}, {"suspended", netflix.NotEffective}, {"cancelled", netflix.Cancelled}, {"none", ""}} {
		id := int64(i + 1)
		m.data.charges[id] = netflix.Charge{ID: id, OperatorID: 1, Customer: c.customer, Amount: eur599, Status: netflix.Pending,
			PartnerChargeID: "nf-" + c.customer, ReceivedOn: settleAt.Add(-36 * time.Hour)}
		if c.state != "" {
			on := c.state
			if on == netflix.Cancelled {
				on = netflix.NotEffective
			}
			m.data.subs[10+id] = netflix.Subscription{ID: 10 + id, OperatorID: 1, Customer: c.customer, LifeCycleState: c.state, NetflixState: on}
		}
	}
	return m
}

func TestSettleByTheSubscription(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	settled, err := netflix.NewRecords(m).SettleCharges(context.Background(), 10, settleAt, netflix.Settlement)
	if err != nil || len(settled) != 4 {
		t.Fatalf("settled %d, %v; want 4", len(settled), err)
	}
	// What was settled, in claim order, and the subscription that ended.
	for i, want := range []netflix.ChargeStatus{netflix.Approved, netflix.Declined, netflix.Rejected, netflix.BadRequest} {
		c := settled[i].Charge
		if c.OperatorID != 1 || c.Number != netflix.ChargeNumber(int64(i+1)) || c.Status != want || c.Customer != m.data.charges[int64(i+1)].Customer {
			t.Errorf("settled[%d] = %+v, want charge %d %s", i, c, i+1, want)
		}
		if (settled[i].Cancelled != nil) != (i == 1) {
			t.Errorf("settled[%d] ended %+v; only the DECLINED charge ends a subscription", i, settled[i].Cancelled)
		}
	}
	if got, want := *settled[1].Cancelled, (netflix.SubscriptionChange{OperatorID: 1, Customer: "suspended", Number: netflix.SubscriptionNumber(12),
		LifeCycleState: netflix.Cancelled, NetflixState: netflix.NotEffective, Actor: netflix.SettlementActor,
		Reason: "Charge I00000002 settled DECLINED."}); got != want {
		t.Errorf("ended %+v, want %+v", got, want)
	}
	for id, want := range map[int64]netflix.ChargeStatus{1: netflix.Approved, 2: netflix.Declined, 3: netflix.Rejected, 4: netflix.BadRequest} {
		if c := m.data.charges[id]; c.Status != want || !m.data.unacked[id] {
			t.Errorf("charge %d: %s (unacknowledged %v), want %s and unacknowledged", id, c.Status, m.data.unacked[id], want)
		}
	}
	if m.data.settled[1] != 11 || m.data.settled[4] != 0 {
		t.Errorf("settled against subscriptions %v; want 11 for charge 1 and none for charge 4", m.data.settled)
	}
	// APPROVED records the customer's price; nothing else does.
	if len(m.data.prices) != 1 || m.data.prices[priceKey{1, "effective", eur599}] != 1 {
		t.Errorf("prices %v, want the effective customer's alone", m.data.prices)
	}
	// DECLINED ends the suspended customer's subscription, with an event.
	if s := m.data.subs[12]; s.LifeCycleState != netflix.Cancelled {
		t.Errorf("suspended subscription after DECLINED: %s, want CANCELLED", s.LifeCycleState)
	}
	if len(m.data.events) != 1 || m.data.events[0].SubscriptionID != 12 || m.data.events[0].From != netflix.NotEffective ||
		m.data.events[0].ActorUsername != netflix.SettlementActor || m.data.events[0].Reason != "Charge I00000002 settled DECLINED." {
		t.Errorf("subscription events %+v, want the settlement's cancel of 12", m.data.events)
	}
	if len(m.data.chEvents) != 4 || m.data.chEvents[0].From != netflix.Pending || m.data.chEvents[0].Actor != netflix.SettlementActor {
		t.Errorf("charge events %+v, want one PENDING → settled step per charge", m.data.chEvents)
	}
}

// Only limit charges are claimed, lowest id first.
func TestSettleTakesTheOldestFirst(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	if settled, err := netflix.NewRecords(m).SettleCharges(context.Background(), 2, settleAt, netflix.Settlement); err != nil || len(settled) != 2 {
		t.Fatalf("settled %d, %v; want 2", len(settled), err)
	}
	if m.data.charges[2].Status == netflix.Pending || m.data.charges[3].Status != netflix.Pending {
		t.Errorf("statuses %v %v: want charges 1 and 2 settled, 3 left", m.data.charges[2].Status, m.data.charges[3].Status)
	}
}

// Whatever goes wrong in a batch, no charge of it is settled.
func TestSettleFailuresLeaveTheBatchPending(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		break_ func(m *memory)
		settle netflix.SettleFunc
		code   string
	}{
		{"the engine fails", func(m *memory) {
			m.fail = func(p string) error {
				if p == "SetSubscriptionState" {
					return errors.New("connection lost")
				}
				return nil
			}
		}, netflix.Settlement, carebridge.EINTERNAL},
		{"a settle function that answers PENDING", nil, func(netflix.Charge, *netflix.Subscription) netflix.ChargeStatus { return netflix.Pending }, carebridge.EINTERNAL},
		{"the subscription moved since it was read", func(m *memory) {
			m.fail = func(p string) error {
				if p == "SetSubscriptionState" {
					s := m.data.subs[12]
					s.LifeCycleState = netflix.Effective // another transaction's unsuspend
					m.data.subs[12] = s
				}
				return nil
			}
		}, netflix.Settlement, carebridge.EUNAVAILABLE},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := settleWorld()
			if c.break_ != nil {
				c.break_(m)
			}
			settled, err := netflix.NewRecords(m).SettleCharges(context.Background(), 10, settleAt, c.settle)
			if err == nil || settled != nil || carebridge.ErrorCode(err) != c.code {
				t.Fatalf("settled %+v, %v (%s); want nothing and %s", settled, err, carebridge.ErrorCode(err), c.code)
			}
			for id, ch := range m.data.charges {
				if ch.Status != netflix.Pending {
					t.Errorf("charge %d is %s after a failed batch", id, ch.Status)
				}
			}
			if len(m.data.prices)+len(m.data.events)+len(m.data.chEvents) != 0 {
				t.Errorf("a failed batch left prices %v, events %v, charge events %v", m.data.prices, m.data.events, m.data.chEvents)
			}
		})
	}
}

// A claimed charge found settled already is a changed batch: retried, not
// settled twice.
func TestSettleChargeChangedUnderTheClaim(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	m.fail = func(p string) error {
		if p == "SettleCharge" {
			c := m.data.charges[1]
			c.Status = netflix.Approved
			m.data.charges[1] = c
		}
		return nil
	}
	_, err := netflix.NewRecords(m).SettleCharges(context.Background(), 1, settleAt, netflix.Settlement)
	if carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
		t.Fatalf("error %v, want EUNAVAILABLE", err)
	}
}
