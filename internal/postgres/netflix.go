package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
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

// scanner is what pgx.Row and pgx.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

const promotionColumns = `id, operator_id, code, name, description, effective_from, expires_on`

func scanPromotion(row scanner) (netflix.Promotion, error) {
	var p netflix.Promotion
	var desc *string
	var from int64
	var expires *int64
	err := row.Scan(&p.ID, &p.OperatorID, &p.Code, &p.Name, &desc, &from, &expires)
	p.Description, p.EffectiveFrom, p.ExpiresOn = deref(desc), fromUnix(from), fromNullUnix(expires)
	return p, err
}

func (s *NetflixEngine) CreatePromotion(ctx context.Context, p netflix.Promotion, at time.Time) (netflix.Promotion, error) {
	err := s.db.pool.QueryRow(ctx, `INSERT INTO netflix_promotions
		(operator_id, code, name, description, effective_from, expires_on, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		p.OperatorID, p.Code, p.Name, nullString(p.Description), unix(p.EffectiveFrom), nullUnix(p.ExpiresOn), unix(at)).
		Scan(&p.ID)
	if isUniqueViolation(err) {
		return p, carebridge.Errorf(carebridge.ECONFLICT, "Promotion %q already exists for this operator.", p.Code)
	}
	p.EffectiveFrom = fromUnix(unix(p.EffectiveFrom))
	p.ExpiresOn = fromNullUnix(nullUnix(p.ExpiresOn))
	return p, err
}

const (
	promotionByCodeSQL = `SELECT ` + promotionColumns + ` FROM netflix_promotions WHERE operator_id = $1 AND code = $2`
	promotionNotFound  = "Promotion %q does not exist for this operator."
)

func (s *NetflixEngine) Promotion(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := scanPromotion(s.db.pool.QueryRow(ctx, promotionByCodeSQL, operatorID, code))
	return p, notFound(err, promotionNotFound, code)
}

func (s *NetflixEngine) Promotions(ctx context.Context, operatorID int64) ([]netflix.Promotion, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+promotionColumns+` FROM netflix_promotions
		WHERE operator_id = $1 ORDER BY effective_from, id`, operatorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []netflix.Promotion{}
	for rows.Next() {
		p, err := scanPromotion(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

const subscriptionColumns = `id, operator_id, customer_identifier, life_cycle_state, netflix_state, created_at, updated_at`

func scanSubscription(row scanner) (netflix.Subscription, error) {
	var sub netflix.Subscription
	var created, updated int64
	err := row.Scan(&sub.ID, &sub.OperatorID, &sub.Customer, &sub.LifeCycleState, &sub.NetflixState, &created, &updated)
	sub.CreatedAt, sub.UpdatedAt = fromUnix(created), fromUnix(updated)
	return sub, err
}

const latestSubscriptionSQL = `SELECT ` + subscriptionColumns + ` FROM netflix_subscriptions
	WHERE operator_id = $1 AND customer_identifier = $2 ORDER BY id DESC LIMIT 1`

// showSubscriptionSQL is subscriptions/show's read in one statement (one
// snapshot and one round trip; it was a transaction of five). Beside the
// latest subscription it returns, as parallel arrays, each promotion the
// customer redeemed since $3 once, in the order first redeemed, and each
// distinct price of the customer's approved charges, in the order first
// charged (netflix_customer_prices, kept by settlement).
const showSubscriptionSQL = `SELECT s.id, s.operator_id, s.customer_identifier, s.life_cycle_state, s.netflix_state, s.created_at, s.updated_at,
	  pr.ids, pr.codes, pr.names, pr.descriptions, pr.froms, pr.expiries, ch.minors, ch.currencies
	FROM netflix_subscriptions s
	CROSS JOIN (SELECT array_agg(p.id ORDER BY r.first) AS ids, array_agg(p.code ORDER BY r.first) AS codes,
	                   array_agg(p.name ORDER BY r.first) AS names, array_agg(p.description ORDER BY r.first) AS descriptions,
	                   array_agg(p.effective_from ORDER BY r.first) AS froms, array_agg(p.expires_on ORDER BY r.first) AS expiries
	            FROM netflix_promotions p
	            JOIN (SELECT promotion_id, min(id) AS first FROM netflix_redemptions
	                  WHERE operator_id = $1 AND customer_identifier = $2 AND redeemed_at >= $3
	                  GROUP BY promotion_id) r ON r.promotion_id = p.id) pr
	CROSS JOIN (SELECT array_agg(amount_minor ORDER BY first_charge_id) AS minors,
	                   array_agg(currency ORDER BY first_charge_id) AS currencies
	            FROM netflix_customer_prices WHERE operator_id = $1 AND customer_identifier = $2) ch
	WHERE s.operator_id = $1 AND s.customer_identifier = $2 ORDER BY s.id DESC LIMIT 1`

func (s *NetflixEngine) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	var v netflix.SubscriptionView
	var created, updated int64
	var ids, froms, minors []int64
	var codes, names, currencies []string
	var descriptions []*string
	var expiries []*int64
	err := s.db.pool.QueryRow(ctx, showSubscriptionSQL, operatorID, customer, unix(redeemedSince)).Scan(
		&v.ID, &v.OperatorID, &v.Customer, &v.LifeCycleState, &v.NetflixState, &created, &updated,
		&ids, &codes, &names, &descriptions, &froms, &expiries, &minors, &currencies)
	if err != nil {
		return v, notFound(err, "Customer %q has no Netflix subscription.", customer)
	}
	v.CreatedAt, v.UpdatedAt = fromUnix(created), fromUnix(updated)
	v.Promotions = make([]netflix.Promotion, len(ids))
	for i, id := range ids {
		v.Promotions[i] = netflix.Promotion{ID: id, OperatorID: operatorID, Code: codes[i], Name: names[i],
			Description: deref(descriptions[i]), EffectiveFrom: fromUnix(froms[i]), ExpiresOn: fromNullUnix(expiries[i])}
	}
	v.Prices = make([]money.Amount, len(minors))
	for i, minor := range minors {
		v.Prices[i] = money.Amount{Minor: minor, Currency: currencies[i]}
	}
	return v, nil
}

// jsonColumns encodes the optional customer objects for their JSONB
// columns; a nil object is stored as NULL (a nil []byte).
func jsonColumns(objects ...any) (a, e, p []byte, err error) {
	out := make([][]byte, len(objects))
	for i, o := range objects {
		switch v := o.(type) {
		case *netflix.Address:
			if v == nil {
				continue
			}
		case *netflix.Email:
			if v == nil {
				continue
			}
		case *netflix.Phone:
			if v == nil {
				continue
			}
		}
		b, err := json.Marshal(o)
		if err != nil {
			return nil, nil, nil, err
		}
		out[i] = b
	}
	return out[0], out[1], out[2], nil
}

func insertEvent(ctx context.Context, tx pgx.Tx, ev netflix.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO netflix_subscription_events
		(subscription_id, action, from_state, to_state, actor_user_id, actor_username, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		ev.SubscriptionID, ev.Action, nullString(string(ev.From)), ev.To, ev.ActorUserID, ev.ActorUsername, unix(ev.At))
	return err
}

func (s *NetflixEngine) SubscriptionEvents(ctx context.Context, operatorID, subscriptionID int64) ([]netflix.Event, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT e.subscription_id, e.action, e.from_state, e.to_state,
			e.actor_user_id, e.actor_username, e.at
		FROM netflix_subscription_events e JOIN netflix_subscriptions s ON s.id = e.subscription_id
		WHERE s.operator_id = $1 AND e.subscription_id = $2 ORDER BY e.id`, operatorID, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []netflix.Event
	for rows.Next() {
		var ev netflix.Event
		var from *string
		var at int64
		if err := rows.Scan(&ev.SubscriptionID, &ev.Action, &from, &ev.To, &ev.ActorUserID, &ev.ActorUsername, &at); err != nil {
			return nil, err
		}
		ev.From, ev.At = netflix.State(deref(from)), fromUnix(at)
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}
