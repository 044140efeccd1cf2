package postgres

import (
	"context"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

func (s *NetflixEngine) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	var ids, froms, minors []int64
	var codes, names, currencies []string
	var descriptions []*string
	var expiries []*int64
	v, err := storage.ScanSubscriptionView(s.db.pool.QueryRow(ctx, showSubscriptionSQL, operatorID, customer, storage.Unix(redeemedSince)), customer,
		&ids, &codes, &names, &descriptions, &froms, &expiries, &minors, &currencies)
	if err != nil {
		return v, err
	}
	v.Promotions = make([]netflix.Promotion, len(ids))
	for i, id := range ids {
		v.Promotions[i] = netflix.Promotion{ID: id, OperatorID: operatorID, Code: codes[i], Name: names[i],
			Description: storage.Deref(descriptions[i]), EffectiveFrom: storage.FromUnix(froms[i]), ExpiresOn: storage.FromNullUnix(expiries[i])}
	}
	v.Prices = make([]money.Amount, len(minors))
	for i, minor := range minors {
		v.Prices[i] = money.Amount{Minor: minor, Currency: currencies[i]}
	}
	return v, nil
}

func (s *NetflixEngine) CustomersInRange(ctx context.Context, operatorID int64, from, to string, limit int) ([]netflix.CustomerSummary, error) {
	rows, err := s.db.pool.Query(ctx, customersInRangeSQL, operatorID, from, to, limit)
	return collect(rows, err, []netflix.CustomerSummary{}, storage.ScanCustomerSummary)
}
