package netflix_test

import (
	"context"
	"maps"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// memory is an Engine in memory for the rules' unit tests: its primitives
// keep each one's contract over plain maps, and InTx undoes every write of
// a function that fails. Queries are not served (calling one panics).
type memory struct {
	netflix.Queries
	data memoryData
	// fail, when set, is asked before each primitive runs and may make it
	// fail with an error.
	fail func(primitive string) error
	// deciding holds, by operator, the decision deadline of the
	// operators that decide their charges themselves.
	deciding map[int64]time.Duration
	// txs counts the transactions begun.
	txs int
	// inTx is set while a transaction runs, so that a Notifier can tell
	// it is called after the commit.
	inTx bool
}

type memoryData struct {
	charges  map[int64]netflix.Charge
	listed   map[int64]bool // listed_pending
	unacked  map[int64]bool // unacknowledged
	acks     map[ackKey]netflix.Acknowledgement
	refs     map[refKey]int64
	subs     map[int64]netflix.Subscription
	events   []netflix.Event
	chEvents []netflix.ChargeEvent
	prices   map[priceKey]int64 // → lowest charge id
	settled  map[int64]int64    // charge → subscription it was settled against

	promotions  map[int64]netflix.Promotion
	records     map[int64]netflix.SubscriptionRecord // as InsertSubscription stored it
	redemptions []netflix.Redemption
	devices     map[string]device
	reports     map[int64]string    // charge → the report that created it
	created     map[int64]time.Time // charge → when it was inserted (created_at)
	lastID      int64               // the last id drawn, for subscriptions and charges alike
	tokens      map[int64]time.Time // subscription → its registration token's expiry, when reissued
	published   []webhook.Event     // the outbox, every event kept (as if every type had an endpoint)
}

// device is one ESN's registration.
type device struct {
	operator, user int64
	at             time.Time
}

type ackKey struct {
	charge int64
	status netflix.ChargeStatus
}

type refKey struct {
	operator int64
	ref      string
}

type priceKey struct {
	operator int64
	customer string
	amount   money.Amount
}

func newMemory() *memory {
	return &memory{data: memoryData{
		charges: map[int64]netflix.Charge{}, listed: map[int64]bool{}, unacked: map[int64]bool{},
		acks: map[ackKey]netflix.Acknowledgement{}, refs: map[refKey]int64{}, subs: map[int64]netflix.Subscription{},
		prices: map[priceKey]int64{}, settled: map[int64]int64{},
		promotions: map[int64]netflix.Promotion{}, records: map[int64]netflix.SubscriptionRecord{},
		devices: map[string]device{}, reports: map[int64]string{}, tokens: map[int64]time.Time{},
		created: map[int64]time.Time{},
	}}
}

func (d memoryData) clone() memoryData {
	return memoryData{
		charges: maps.Clone(d.charges), listed: maps.Clone(d.listed), unacked: maps.Clone(d.unacked),
		acks: maps.Clone(d.acks), refs: maps.Clone(d.refs), subs: maps.Clone(d.subs),
		events: slices.Clone(d.events), chEvents: slices.Clone(d.chEvents),
		prices: maps.Clone(d.prices), settled: maps.Clone(d.settled),
		promotions: maps.Clone(d.promotions), records: maps.Clone(d.records), redemptions: slices.Clone(d.redemptions),
		devices: maps.Clone(d.devices), reports: maps.Clone(d.reports), lastID: d.lastID,
		tokens: maps.Clone(d.tokens), created: maps.Clone(d.created), published: slices.Clone(d.published),
	}
}

func (m *memory) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	m.txs++
	saved := m.data.clone()
	m.inTx = true
	defer func() { m.inTx = false }()
	if err := fn(memoryTx{m}); err != nil {
		m.data = saved
		return err
	}
	return nil
}

type memoryTx struct{ m *memory }

func (t memoryTx) check(primitive string) error {
	if t.m.fail != nil {
		return t.m.fail(primitive)
	}
	return nil
}

func (t memoryTx) LockCharges(ctx context.Context, operatorID int64, ids []int64) error {
	return t.check("LockCharges")
}

func (t memoryTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	if err := t.check("AckState"); err != nil {
		return netflix.AckState{}, err
	}
	c, ok := t.m.data.charges[chargeID]
	if !ok || c.OperatorID != operatorID {
		return netflix.AckState{}, carebridge.Errorf(carebridge.ENOTFOUND, "No charge %d.", chargeID)
	}
	return netflix.AckState{Customer: c.Customer, Status: c.Status, ListedPending: t.m.data.listed[chargeID], Amount: c.Amount,
		PartnerChargeID: c.PartnerChargeID, ReceivedOn: c.ReceivedOn}, nil
}

func (t memoryTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (bool, error) {
	_, ok := t.m.data.acks[ackKey{chargeID, status}]
	return ok, t.check("StatusAcknowledged")
}

func (t memoryTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (int64, error) {
	if err := t.check("ClaimReferenceNumber"); err != nil {
		return 0, err
	}
	k := refKey{operatorID, reference}
	if _, taken := t.m.data.refs[k]; !taken {
		t.m.data.refs[k] = chargeID
	}
	return t.m.data.refs[k], nil
}

func (t memoryTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	if err := t.check("InsertAcknowledgement"); err != nil {
		return err
	}
	t.m.data.acks[ackKey{a.ChargeID, a.Status}] = a
	return nil
}

func (t memoryTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	if err := t.check("MarkAcknowledged"); err != nil {
		return err
	}
	if t.m.data.charges[chargeID].Status == status {
		t.m.data.unacked[chargeID] = false
	}
	return nil
}

func (t memoryTx) ClaimPendingCharges(ctx context.Context, limit int, now time.Time) ([]netflix.Charge, error) {
	if err := t.check("ClaimPendingCharges"); err != nil {
		return nil, err
	}
	var out []netflix.Charge
	for _, id := range slices.Sorted(maps.Keys(t.m.data.charges)) {
		c := t.m.data.charges[id]
		if deadline, ok := t.m.deciding[c.OperatorID]; ok && t.m.data.created[id].After(now.Add(-deadline)) {
			continue // the operator's to decide until its deadline
		}
		if c.Status == netflix.Pending && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (t memoryTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	if err := t.check("LatestSubscriptionOf"); err != nil {
		return nil, err
	}
	return t.m.latestOf(operatorID, customer), nil
}

func (m *memory) latestOf(operatorID int64, customer string) *netflix.Subscription {
	var latest *netflix.Subscription
	for _, s := range m.data.subs {
		if s.OperatorID == operatorID && s.Customer == customer && (latest == nil || s.ID > latest.ID) {
			latest = &s
		}
	}
	return latest
}

func (t memoryTx) SettleCharge(ctx context.Context, chargeID int64, status netflix.ChargeStatus, at time.Time, subscriptionID int64) (bool, error) {
	if err := t.check("SettleCharge"); err != nil {
		return false, err
	}
	c := t.m.data.charges[chargeID]
	if c.Status != netflix.Pending {
		return false, nil
	}
	c.Status = status
	switch status {
	case netflix.Approved:
		c.ApprovedOn = at
	case netflix.Declined:
		c.DeclinedOn = at
	case netflix.BadRequest:
		c.BadRequestOn = at
	case netflix.Rejected:
		c.RejectedOn = at
	}
	t.m.data.charges[chargeID] = c
	t.m.data.unacked[chargeID] = true
	t.m.data.settled[chargeID] = subscriptionID
	return true, nil
}

func (t memoryTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	t.m.data.chEvents = append(t.m.data.chEvents, e)
	return t.check("InsertChargeEvent")
}

func (t memoryTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	if err := t.check("AddCustomerPrice"); err != nil {
		return err
	}
	k := priceKey{operatorID, customer, amount}
	if first, ok := t.m.data.prices[k]; !ok || chargeID < first {
		t.m.data.prices[k] = chargeID
	}
	return nil
}

func (t memoryTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	if err := t.check("SetSubscriptionState"); err != nil {
		return false, err
	}
	s, ok := t.m.data.subs[subscriptionID]
	if !ok || s.LifeCycleState != from {
		return false, nil
	}
	s.LifeCycleState, s.NetflixState, s.UpdatedAt = life, onNetflix, at
	t.m.data.subs[subscriptionID] = s
	return true, nil
}

func (t memoryTx) PublishEvents(ctx context.Context, events []webhook.Event) error {
	t.m.data.published = append(t.m.data.published, events...)
	return t.check("PublishEvents")
}

func (t memoryTx) InsertEvent(ctx context.Context, e netflix.Event) error {
	t.m.data.events = append(t.m.data.events, e)
	return t.check("InsertEvent")
}
