package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

func (s *NetflixEngine) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	// Scanned here rather than through storage.ScanSubscriptionView: this
	// is the hottest read, and the shared scan's variadic destinations
	// cost it three allocations (about 4 % of a show).
	var v netflix.SubscriptionView
	var created, updated int64
	var promotions, prices []byte
	err := s.db.readRow(ctx, showSubscriptionSQL, operatorID, customer, storage.Unix(redeemedSince)).Scan(
		&v.ID, &v.OperatorID, &v.Customer, &v.LifeCycleState, &v.NetflixState, &created, &updated, &promotions, &prices)
	if err != nil {
		return v, storage.NotFound(err, "Customer %q has no Netflix subscription.", customer)
	}
	v.CreatedAt, v.UpdatedAt = storage.FromUnix(created), storage.FromUnix(updated)
	if v.Promotions, err = decodePromotions(operatorID, promotions); err != nil {
		return v, err
	}
	v.Prices, err = decodePrices(prices)
	return v, err
}

// shownRedemption is a row of showSubscriptionSQL's redemptions.
type shownRedemption struct {
	Redemption    int64   `json:"redemption"`
	ID            int64   `json:"id"`
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Description   *string `json:"description"`
	EffectiveFrom int64   `json:"effective_from"`
	ExpiresOn     *int64  `json:"expires_on"`
}

// decodePromotions reads showSubscriptionSQL's redemptions: each promotion
// once, in the order first redeemed.
func decodePromotions(operatorID int64, b []byte) ([]netflix.Promotion, error) {
	var rows []shownRedemption
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("decode redeemed promotions: %w", err)
	}
	slices.SortFunc(rows, func(a, b shownRedemption) int { return cmp.Compare(a.Redemption, b.Redemption) })
	out := make([]netflix.Promotion, 0, len(rows))
	for _, r := range rows {
		if slices.ContainsFunc(out, func(p netflix.Promotion) bool { return p.ID == r.ID }) {
			continue
		}
		p := netflix.Promotion{ID: r.ID, OperatorID: operatorID, Code: r.Code, Name: r.Name, EffectiveFrom: storage.FromUnix(r.EffectiveFrom)}
		if r.Description != nil {
			p.Description = *r.Description
		}
		if r.ExpiresOn != nil {
			p.ExpiresOn = storage.FromUnix(*r.ExpiresOn)
		}
		out = append(out, p)
	}
	return out, nil
}

// shownPrice is a row of showSubscriptionSQL's prices.
type shownPrice struct {
	First    int64  `json:"first"`
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// decodePrices reads showSubscriptionSQL's prices, in the order first
// charged.
func decodePrices(b []byte) ([]money.Amount, error) {
	var rows []shownPrice
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("decode approved prices: %w", err)
	}
	slices.SortFunc(rows, func(a, b shownPrice) int { return cmp.Compare(a.First, b.First) })
	out := make([]money.Amount, len(rows))
	for i, r := range rows {
		out[i] = money.Amount{Minor: r.Minor, Currency: r.Currency}
	}
	return out, nil
}

func (s *NetflixEngine) CustomersInRange(ctx context.Context, operatorID int64, from, to string, limit int) ([]netflix.CustomerSummary, error) {
	rows, err := s.db.readRows(ctx, customersInRangeSQL, operatorID, from, to, limit)
	return collect(rows, err, []netflix.CustomerSummary{}, storage.ScanCustomerSummary)
}
