package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// NetflixEngine is the Netflix plugin's engine on SQLite (netflix.Engine):
// its queries, and the primitives its rules write with (netflix_tx.go;
// devices.go and charges.go for devices and charge intake).
type NetflixEngine struct{ db *DB }

// NewNetflixStore returns the Netflix plugin's store on db: this engine
// under the domain's rules.
func NewNetflixStore(db *DB) *netflix.Records { return netflix.NewRecords(&NetflixEngine{db: db}) }

var _ netflix.Engine = (*NetflixEngine)(nil)

const promotionColumns = `id, operator_id, code, name, description, effective_from, expires_on`

func scanPromotion(row interface{ Scan(...any) error }) (netflix.Promotion, error) {
	var p netflix.Promotion
	var desc sql.NullString
	var from int64
	var expires sql.NullInt64
	err := row.Scan(&p.ID, &p.OperatorID, &p.Code, &p.Name, &desc, &from, &expires)
	p.Description, p.EffectiveFrom, p.ExpiresOn = desc.String, fromUnix(from), fromNullUnix(expires)
	return p, err
}

func (s *NetflixEngine) CreatePromotion(ctx context.Context, p netflix.Promotion, at time.Time) (netflix.Promotion, error) {
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO netflix_promotions
			(operator_id, code, name, description, effective_from, expires_on, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.OperatorID, p.Code, p.Name, nullString(p.Description), unix(p.EffectiveFrom), nullUnix(p.ExpiresOn), unix(at)).
			Scan(&p.ID)
	})
	if isUniqueViolation(err) {
		return p, carebridge.Errorf(carebridge.ECONFLICT, "Promotion %q already exists for this operator.", p.Code)
	}
	p.EffectiveFrom = fromUnix(unix(p.EffectiveFrom))
	p.ExpiresOn = fromNullUnix(nullUnix(p.ExpiresOn))
	return p, err
}

const (
	promotionByCodeSQL = `SELECT ` + promotionColumns + ` FROM netflix_promotions WHERE operator_id = ? AND code = ?`
	promotionNotFound  = "Promotion %q does not exist for this operator."
)

func (s *NetflixEngine) Promotion(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := scanPromotion(s.db.readRow(ctx, promotionByCodeSQL, operatorID, code))
	return p, notFound(err, promotionNotFound, code)
}

func (s *NetflixEngine) Promotions(ctx context.Context, operatorID int64) ([]netflix.Promotion, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+promotionColumns+` FROM netflix_promotions
		WHERE operator_id = ? ORDER BY effective_from, id`, operatorID)
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

func scanSubscription(row interface{ Scan(...any) error }) (netflix.Subscription, error) {
	var sub netflix.Subscription
	var created, updated int64
	err := row.Scan(&sub.ID, &sub.OperatorID, &sub.Customer, &sub.LifeCycleState, &sub.NetflixState, &created, &updated)
	sub.CreatedAt, sub.UpdatedAt = fromUnix(created), fromUnix(updated)
	return sub, err
}

const (
	latestSubscriptionSQL = `SELECT ` + subscriptionColumns + ` FROM netflix_subscriptions
	WHERE operator_id = ? AND customer_identifier = ? ORDER BY id DESC LIMIT 1`

	// showSubscriptionSQL is subscriptions/show's read in one statement:
	// one statement reads one snapshot without a transaction and crosses
	// the driver once (it was three statements in a read transaction, half
	// of the request's time). Beside the latest subscription it returns as
	// JSON arrays the customer's redemptions since ?3 with their promotions
	// and the distinct prices of their approved charges
	// (netflix_customer_prices, kept by settlement). The few rows are
	// ordered and deduplicated in Go: in SQL each GROUP BY or ordered
	// aggregate built a temporary b-tree, a large part of the statement.
	showSubscriptionSQL = `SELECT s.id, s.operator_id, s.customer_identifier, s.life_cycle_state, s.netflix_state, s.created_at, s.updated_at,
	  (SELECT json_group_array(json_object('redemption', r.id, 'id', p.id, 'code', p.code, 'name', p.name,
	                                   'description', p.description, 'effective_from', p.effective_from, 'expires_on', p.expires_on))
	     FROM netflix_redemptions r JOIN netflix_promotions p ON p.id = r.promotion_id
	     WHERE r.operator_id = ?1 AND r.customer_identifier = ?2 AND r.redeemed_at >= ?3),
	  (SELECT json_group_array(json_object('first', first_charge_id, 'minor', amount_minor, 'currency', currency))
	     FROM netflix_customer_prices WHERE operator_id = ?1 AND customer_identifier = ?2)
	FROM netflix_subscriptions s
	WHERE s.operator_id = ?1 AND s.customer_identifier = ?2 ORDER BY s.id DESC LIMIT 1`
)

func (s *NetflixEngine) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	var v netflix.SubscriptionView
	var created, updated int64
	var promotions, prices []byte
	err := s.db.readRow(ctx, showSubscriptionSQL, operatorID, customer, unix(redeemedSince)).Scan(
		&v.ID, &v.OperatorID, &v.Customer, &v.LifeCycleState, &v.NetflixState, &created, &updated, &promotions, &prices)
	if err != nil {
		return v, notFound(err, "Customer %q has no Netflix subscription.", customer)
	}
	v.CreatedAt, v.UpdatedAt = fromUnix(created), fromUnix(updated)
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
		p := netflix.Promotion{ID: r.ID, OperatorID: operatorID, Code: r.Code, Name: r.Name, EffectiveFrom: fromUnix(r.EffectiveFrom)}
		if r.Description != nil {
			p.Description = *r.Description
		}
		if r.ExpiresOn != nil {
			p.ExpiresOn = fromUnix(*r.ExpiresOn)
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

// jsonColumns encodes the optional customer objects for storage; a nil
// object is stored as NULL.
func jsonColumns(objects ...any) (a, e, p sql.NullString, err error) {
	out := make([]sql.NullString, len(objects))
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
			return a, e, p, err
		}
		out[i] = sql.NullString{String: string(b), Valid: true}
	}
	return out[0], out[1], out[2], nil
}

func insertEvent(ctx context.Context, tx *wtx, ev netflix.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO netflix_subscription_events
		(subscription_id, action, from_state, to_state, actor_user_id, actor_username, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ev.SubscriptionID, ev.Action, nullString(string(ev.From)), ev.To, ev.ActorUserID, ev.ActorUsername, unix(ev.At))
	return err
}

func (s *NetflixEngine) SubscriptionEvents(ctx context.Context, operatorID, subscriptionID int64) ([]netflix.Event, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT e.subscription_id, e.action, e.from_state, e.to_state,
			e.actor_user_id, e.actor_username, e.at
		FROM netflix_subscription_events e JOIN netflix_subscriptions s ON s.id = e.subscription_id
		WHERE s.operator_id = ? AND e.subscription_id = ? ORDER BY e.id`, operatorID, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []netflix.Event
	for rows.Next() {
		var ev netflix.Event
		var from sql.NullString
		var at int64
		if err := rows.Scan(&ev.SubscriptionID, &ev.Action, &from, &ev.To, &ev.ActorUserID, &ev.ActorUsername, &at); err != nil {
			return nil, err
		}
		ev.From, ev.At = netflix.State(from.String), fromUnix(at)
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}
