package netflix_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

// The memory engine's primitives for subscriptions, devices, intake and
// listing, and the one query the rules read through (see memory_test.go).

// nextID draws an id after every id in use.
func (m *memory) nextID() int64 {
	for id := range m.data.subs {
		m.data.lastID = max(m.data.lastID, id)
	}
	for id := range m.data.charges {
		m.data.lastID = max(m.data.lastID, id)
	}
	m.data.lastID++
	return m.data.lastID
}

func (t memoryTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	if err := t.check("PromotionByCode"); err != nil {
		return netflix.Promotion{}, err
	}
	for _, p := range t.m.data.promotions {
		if p.OperatorID == operatorID && p.Code == code {
			return p, nil
		}
	}
	return netflix.Promotion{}, carebridge.Errorf(carebridge.ENOTFOUND, "Promotion %q does not exist for this operator.", code)
}

// LockLatestSubscriptionOf: the memory engine runs one transaction at a
// time, so reading is holding.
func (t memoryTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	if err := t.check("LockLatestSubscriptionOf"); err != nil {
		return nil, err
	}
	return t.m.latestOf(operatorID, customer), nil
}

func (t memoryTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (int64, bool, error) {
	if err := t.check("InsertSubscription"); err != nil {
		return 0, false, err
	}
	if s.LifeCycleState == netflix.Cancelled {
		return 0, false, fmt.Errorf("memory: a new subscription must not be CANCELLED")
	}
	for _, o := range t.m.data.subs {
		if o.OperatorID == s.OperatorID && o.Customer == s.Request.Customer && o.LifeCycleState != netflix.Cancelled {
			return 0, false, nil
		}
	}
	id := t.m.nextID()
	t.m.data.subs[id] = netflix.Subscription{
		ID: id, OperatorID: s.OperatorID, Customer: s.Request.Customer,
		LifeCycleState: s.LifeCycleState, NetflixState: s.NetflixState, CreatedAt: s.At, UpdatedAt: s.At,
	}
	t.m.data.records[id] = s
	return id, true, nil
}

func (t memoryTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	t.m.data.redemptions = append(t.m.data.redemptions, r)
	return t.check("InsertRedemption")
}

func (t memoryTx) ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) ([]string, error) {
	if err := t.check("ClaimDevices"); err != nil {
		return nil, err
	}
	var elsewhere []string
	for _, e := range esns {
		d, held := t.m.data.devices[e]
		if !held {
			t.m.data.devices[e] = device{operator: operatorID, user: userID, at: at}
		} else if d.operator != operatorID {
			elsewhere = append(elsewhere, e)
		}
	}
	// No particular order, as the contract says: the rules must not rely
	// on one.
	slices.Sort(elsewhere)
	return elsewhere, nil
}

func (t memoryTx) ReleaseDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	if err := t.check("ReleaseDevices"); err != nil {
		return nil, err
	}
	var released []string
	for _, e := range esns {
		if d, held := t.m.data.devices[e]; held && d.operator == operatorID {
			delete(t.m.data.devices, e)
			released = append(released, e)
		}
	}
	slices.Sort(released)
	return released, nil
}

func (t memoryTx) MarkListedPending(ctx context.Context, chargeIDs []int64) error {
	if err := t.check("MarkListedPending"); err != nil {
		return err
	}
	for _, id := range chargeIDs {
		t.m.data.listed[id] = true
	}
	return nil
}

func (t memoryTx) InsertCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) (map[string]int64, error) {
	if err := t.check("InsertCharges"); err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, c := range t.m.data.charges {
		if c.OperatorID == operatorID {
			held[c.PartnerChargeID] = true
		}
	}
	offered := map[string]bool{}
	inserted := map[string]int64{}
	for _, c := range charges {
		if offered[c.PartnerChargeID] {
			return nil, fmt.Errorf("memory: partner id %q offered twice in one insert", c.PartnerChargeID)
		}
		offered[c.PartnerChargeID] = true
		if held[c.PartnerChargeID] {
			continue
		}
		id := c.ID
		if id == 0 {
			id = t.m.nextID()
		}
		t.m.data.charges[id] = netflix.Charge{
			ID: id, OperatorID: operatorID, PartnerChargeID: c.PartnerChargeID, Customer: c.Customer,
			Amount: c.Amount, LocalAmount: c.LocalAmount, PaidThroughDate: c.PaidThroughDate, ReceivedOn: c.ReceivedOn,
			Status: netflix.Pending,
		}
		t.m.data.unacked[id] = true
		t.m.data.reports[id] = report
		t.m.data.created[id] = at
		t.m.data.chEvents = append(t.m.data.chEvents, netflix.ChargeEvent{ChargeID: id, To: netflix.Pending, Actor: netflix.IntakeActor, At: at})
		inserted[c.PartnerChargeID] = id
	}
	return inserted, nil
}

func (t memoryTx) StoredCharges(ctx context.Context, operatorID int64, partnerIDs []string) (map[string]netflix.StoredCharge, error) {
	if err := t.check("StoredCharges"); err != nil {
		return nil, err
	}
	out := map[string]netflix.StoredCharge{}
	for id, c := range t.m.data.charges {
		if c.OperatorID == operatorID && slices.Contains(partnerIDs, c.PartnerChargeID) {
			out[c.PartnerChargeID] = netflix.StoredCharge{ID: id, Customer: c.Customer, Amount: c.Amount, ReceivedOn: c.ReceivedOn, Report: t.m.data.reports[id]}
		}
	}
	return out, nil
}

// ListUnacknowledgedCharges is the one query the rules read through.
func (m *memory) ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.ListedCharge, error) {
	var out []netflix.ListedCharge
	for _, id := range slices.Sorted(maps.Keys(m.data.charges)) {
		c := m.data.charges[id]
		if c.OperatorID == operatorID && (c.Status != netflix.Pending) == r.Processed && m.data.unacked[id] {
			out = append(out, netflix.ListedCharge{Charge: c, ListedPending: m.data.listed[id]})
		}
	}
	out = out[min(r.Offset, len(out)):]
	return out[:min(r.Limit, len(out))], nil
}
