package postgres

import (
	"context"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// NetflixEngine is the Netflix plugin's engine on PostgreSQL
// (netflix.Engine): its queries, and the primitives its rules write with
// (netflix_tx.go; devices.go and charges.go for devices and charge
// intake).
type NetflixEngine struct{ db *DB }

// NewNetflixStore returns the Netflix plugin's store on db: this engine
// under the domain's rules.
func NewNetflixStore(db *DB) *netflix.Records { return netflix.NewRecords(&NetflixEngine{db: db}) }

var _ netflix.Engine = (*NetflixEngine)(nil)

func (s *NetflixEngine) CreatePromotion(ctx context.Context, p netflix.Promotion, at time.Time) (netflix.Promotion, error) {
	err := s.db.pool.QueryRow(ctx, storage.InsertPromotion.Postgres, storage.PromotionArgs(p, at)...).Scan(&p.ID)
	return storage.StoredPromotion(p), conflict(err, storage.PromotionExists, p.Code)
}

func (s *NetflixEngine) Promotion(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := storage.ScanPromotion(s.db.pool.QueryRow(ctx, storage.PromotionByCode.Postgres, operatorID, code))
	return p, notFound(err, storage.PromotionNotFound, code)
}

func (s *NetflixEngine) Promotions(ctx context.Context, operatorID int64) ([]netflix.Promotion, error) {
	rows, err := s.db.pool.Query(ctx, storage.Promotions.Postgres, operatorID)
	return collect(rows, err, []netflix.Promotion{}, storage.ScanPromotion)
}

func (s *NetflixEngine) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	var v netflix.SubscriptionView
	var ids, froms, minors []int64
	var codes, names, currencies []string
	var descriptions []*string
	var expiries []*int64
	err := storage.ScanSubscriptionView(s.db.pool.QueryRow(ctx, showSubscriptionSQL, operatorID, customer, storage.Unix(redeemedSince)), &v,
		&ids, &codes, &names, &descriptions, &froms, &expiries, &minors, &currencies)
	if err != nil {
		return v, notFound(err, storage.NoSubscription, customer)
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

func (s *NetflixEngine) SubscriptionEvents(ctx context.Context, operatorID, subscriptionID int64) ([]netflix.Event, error) {
	rows, err := s.db.pool.Query(ctx, storage.SubscriptionEvents.Postgres, operatorID, subscriptionID)
	return collect(rows, err, nil, storage.ScanEvent)
}
