package netflix_test

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// The memory engine's care queries and the token primitive (see
// memory_test.go).

func (t memoryTx) SetTokenExpiry(ctx context.Context, subscriptionID int64, expiresAt time.Time) error {
	if err := t.check("SetTokenExpiry"); err != nil {
		return err
	}
	t.m.data.tokens[subscriptionID] = expiresAt
	return nil
}

func (m *memory) summaryOf(s netflix.Subscription) netflix.CustomerSummary {
	r := m.data.records[s.ID].Request
	return netflix.CustomerSummary{Customer: s.Customer, Latest: &s, FirstName: r.FirstName, LastName: r.LastName}
}

func (m *memory) CustomerLatest(ctx context.Context, operatorID int64, customer string) (*netflix.CustomerSummary, error) {
	latest := m.latestOf(operatorID, customer)
	if latest == nil {
		return nil, nil
	}
	sum := m.summaryOf(*latest)
	return &sum, nil
}

func (m *memory) CustomersInRange(ctx context.Context, operatorID int64, from, to string, limit int) ([]netflix.CustomerSummary, error) {
	in := map[string]bool{}
	for _, s := range m.data.subs {
		if s.OperatorID == operatorID && s.Customer >= from && s.Customer < to {
			in[s.Customer] = true
		}
	}
	out := []netflix.CustomerSummary{}
	for _, c := range slices.Sorted(maps.Keys(in)) {
		if len(out) < limit {
			out = append(out, m.summaryOf(*m.latestOf(operatorID, c)))
		}
	}
	return out, nil
}

func (m *memory) HasCharges(ctx context.Context, operatorID int64, customer string) (bool, error) {
	for _, c := range m.data.charges {
		if c.OperatorID == operatorID && c.Customer == customer {
			return true, nil
		}
	}
	return false, nil
}

func (m *memory) SubscriptionCustomer(ctx context.Context, operatorID, id int64) (string, error) {
	if s, ok := m.data.subs[id]; ok && s.OperatorID == operatorID {
		return s.Customer, nil
	}
	return "", nil
}

func (m *memory) ChargeCustomer(ctx context.Context, operatorID, id int64) (string, error) {
	if c, ok := m.data.charges[id]; ok && c.OperatorID == operatorID {
		return c.Customer, nil
	}
	return "", nil
}

func (m *memory) CustomerSubscriptions(ctx context.Context, operatorID int64, customer string) ([]netflix.StoredSubscription, error) {
	out := []netflix.StoredSubscription{}
	for _, id := range slices.Backward(slices.Sorted(maps.Keys(m.data.subs))) {
		s := m.data.subs[id]
		if s.OperatorID != operatorID || s.Customer != customer {
			continue
		}
		r := m.data.records[id].Request
		out = append(out, netflix.StoredSubscription{Subscription: s, Channel: r.Channel, Contact: netflix.Contact{
			FirstName: r.FirstName, LastName: r.LastName, Address: r.Address, Email: r.Email, Phone: r.Phone}})
	}
	return out, nil
}

func (m *memory) CustomerRedemptions(ctx context.Context, operatorID int64, customer string) ([]netflix.RedeemedPromotion, error) {
	var out []netflix.RedeemedPromotion
	for _, r := range m.data.redemptions {
		if r.OperatorID == operatorID && r.Customer == customer {
			out = append(out, netflix.RedeemedPromotion{SubscriptionID: r.SubscriptionID, Promotion: m.data.promotions[r.PromotionID]})
		}
	}
	return out, nil
}

func (m *memory) CustomerApprovedPrices(ctx context.Context, operatorID int64, customer string) ([]netflix.SubscriptionPrice, error) {
	type key struct {
		sub    int64
		amount money.Amount
	}
	first := map[key]int64{}
	for id, c := range m.data.charges {
		k := key{m.data.settled[id], c.Amount}
		if c.OperatorID != operatorID || c.Customer != customer || c.Status != netflix.Approved || k.sub == 0 {
			continue
		}
		if f, ok := first[k]; !ok || id < f {
			first[k] = id
		}
	}
	keys := slices.SortedFunc(maps.Keys(first), func(a, b key) int { return cmp.Compare(first[a], first[b]) })
	var out []netflix.SubscriptionPrice
	for _, k := range keys {
		out = append(out, netflix.SubscriptionPrice{SubscriptionID: k.sub, Amount: k.amount})
	}
	return out, nil
}

func (m *memory) CustomerCharges(ctx context.Context, operatorID int64, customer string, limit int) ([]netflix.CustomerCharge, error) {
	out := []netflix.CustomerCharge{}
	for _, id := range slices.Backward(slices.Sorted(maps.Keys(m.data.charges))) {
		c := m.data.charges[id]
		if c.OperatorID != operatorID || c.Customer != customer || len(out) == limit {
			continue
		}
		a, acked := m.data.acks[ackKey{id, c.Status}]
		out = append(out, netflix.CustomerCharge{Charge: c, Acknowledged: acked, ReferenceNumber: a.ReferenceNumber})
	}
	return out, nil
}

func (m *memory) CustomerEvents(ctx context.Context, operatorID int64, customer string) ([]netflix.Event, error) {
	out := []netflix.Event{}
	for _, e := range m.data.events {
		if s := m.data.subs[e.SubscriptionID]; s.OperatorID == operatorID && s.Customer == customer {
			out = append(out, e)
		}
	}
	return out, nil
}

// ChargeCounts may be made to fail, as a primitive may (see check).
func (m *memory) ChargeCounts(ctx context.Context, operatorID int64) (map[netflix.ChargeStatus]int64, time.Time, error) {
	if err := (memoryTx{m}).check("ChargeCounts"); err != nil {
		return nil, time.Time{}, err
	}
	counts := map[netflix.ChargeStatus]int64{}
	var oldest time.Time
	for id, c := range m.data.charges {
		if c.OperatorID != operatorID {
			continue
		}
		counts[c.Status]++
		if at := m.data.created[id]; c.Status == netflix.Pending && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	return counts, oldest, nil
}

// LatestSubscription and Promotion serve Service.Create's precheck; the
// view's promotions and prices are left out.
func (m *memory) LatestSubscription(ctx context.Context, operatorID int64, customer string, since time.Time) (netflix.SubscriptionView, error) {
	latest := m.latestOf(operatorID, customer)
	if latest == nil {
		return netflix.SubscriptionView{}, carebridge.Errorf(carebridge.ENOTFOUND, "Customer %q has no Netflix subscription.", customer)
	}
	return netflix.SubscriptionView{Subscription: *latest}, nil
}

func (m *memory) Promotion(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	return memoryTx{m}.PromotionByCode(ctx, operatorID, code)
}
