package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// InTx runs fn in one transaction (see DB.tx). Replicas run transactions
// side by side, so the primitives that promise a hold take row locks.
func (s *NetflixEngine) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error { return fn(netflixTx{tx}) })
}

// netflixTx is netflix.Tx in a PostgreSQL transaction.
type netflixTx struct{ tx pgx.Tx }

var _ netflix.Tx = netflixTx{}

func (t netflixTx) LockCharges(ctx context.Context, operatorID int64, ids []int64) error {
	_, err := t.tx.Exec(ctx, `SELECT id FROM netflix_charges WHERE id = ANY ($1::bigint[]) AND operator_id = $2
		ORDER BY id FOR UPDATE`, ids, operatorID)
	return err
}

func (t netflixTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	var s netflix.AckState
	// FOR UPDATE: the state read stays the state until the transaction
	// ends, whether or not LockCharges took the row first.
	err := t.tx.QueryRow(ctx, `SELECT customer_identifier, status, listed_pending FROM netflix_charges
		WHERE id = $1 AND operator_id = $2 FOR UPDATE`, chargeID, operatorID).Scan(&s.Customer, &s.Status, &s.ListedPending)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, carebridge.Errorf(carebridge.ENOTFOUND, "No charge %d.", chargeID)
	}
	return s, err
}

func (t netflixTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (bool, error) {
	var yes bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = $1 AND status = $2)`,
		chargeID, status).Scan(&yes)
	return yes, err
}

// ClaimReferenceNumber: another transaction inserting the same reference
// at once makes this insert wait for it and then do nothing, and the read
// after it sees that transaction's row.
func (t netflixTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (int64, error) {
	if _, err := t.tx.Exec(ctx, `INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, operatorID, reference, chargeID); err != nil {
		return 0, err
	}
	var holder int64
	err := t.tx.QueryRow(ctx, `SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = $1 AND reference_number = $2`,
		operatorID, reference).Scan(&holder)
	return holder, err
}

func (t netflixTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.ChargeID, a.Status, a.OperatorID, nullString(a.ReferenceNumber), a.ActorUserID, unix(a.At))
	return err
}

func (t netflixTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	_, err := t.tx.Exec(ctx, `UPDATE netflix_charges SET unacknowledged = false WHERE id = $1 AND status = $2`, chargeID, status)
	return err
}

// ClaimPendingCharges takes its rows with FOR UPDATE SKIP LOCKED: the
// processors of several replicas claim disjoint batches side by side, and
// a charge claimed by one is never seen by another until that one commits
// (it is no longer PENDING then), rolls back or dies (the lock goes with
// its connection, and the charge is PENDING as before).
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int) ([]netflix.Charge, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+chargeColumns+` FROM netflix_charges
		WHERE status = 'PENDING' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pending []netflix.Charge
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, err
		}
		pending = append(pending, c)
	}
	return pending, rows.Err()
}

func (t netflixTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	sub, err := scanSubscription(t.tx.QueryRow(ctx, latestSubscriptionSQL, operatorID, customer))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sub, nil
}

func (t netflixTx) SettleCharge(ctx context.Context, chargeID int64, status netflix.ChargeStatus, at time.Time, subscriptionID int64) (bool, error) {
	column, ok := statusDateColumn[status]
	if !ok {
		return false, carebridge.Errorf(carebridge.EINTERNAL, "no date column for status %q", status)
	}
	var subID *int64
	if subscriptionID != 0 {
		subID = &subscriptionID
	}
	tag, err := t.tx.Exec(ctx, `UPDATE netflix_charges SET status = $1, `+column+` = $2, subscription_id = $3, unacknowledged = true
		WHERE id = $4 AND status = 'PENDING'`, status, unix(at), subID, chargeID)
	return err == nil && tag.RowsAffected() == 1, err
}

func (t netflixTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES ($1, $2, $3, $4, $5)`, e.ChargeID, nullString(string(e.From)), e.To, e.Actor, unix(e.At))
	return err
}

// AddCustomerPrice keeps the lowest charge id whichever replica settles
// first.
func (t netflixTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO netflix_customer_prices
		(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
		DO UPDATE SET first_charge_id = LEAST(netflix_customer_prices.first_charge_id, excluded.first_charge_id)`,
		operatorID, customer, amount.Minor, amount.Currency, chargeID)
	return err
}

// SetSubscriptionState: the UPDATE waits for a transaction holding the
// row, then checks the state on the row as that one left it.
func (t netflixTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE netflix_subscriptions SET life_cycle_state = $1, netflix_state = $2, updated_at = $3
		WHERE id = $4 AND life_cycle_state = $5`, life, onNetflix, unix(at), subscriptionID, from)
	return err == nil && tag.RowsAffected() == 1, err
}

func (t netflixTx) InsertEvent(ctx context.Context, e netflix.Event) error {
	return insertEvent(ctx, t.tx, e)
}

func (t netflixTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := scanPromotion(t.tx.QueryRow(ctx, promotionByCodeSQL, operatorID, code))
	return p, notFound(err, promotionNotFound, code)
}

// LockLatestSubscriptionOf reads the latest subscription FOR UPDATE. A
// locking read that waited sees the row as its holder left it, but not a
// newer subscription committed meanwhile (its ORDER BY … LIMIT was
// evaluated before the wait); a new statement does, and then the newer
// one is locked in turn.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	for {
		sub, err := scanSubscription(t.tx.QueryRow(ctx, latestSubscriptionSQL+` FOR UPDATE`, operatorID, customer))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil, nil
		case err != nil:
			return nil, err
		}
		var newer bool
		if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_subscriptions
			WHERE operator_id = $1 AND customer_identifier = $2 AND id > $3)`, operatorID, customer, sub.ID).Scan(&newer); err != nil {
			return nil, err
		}
		if !newer {
			return &sub, nil
		}
	}
}

// InsertSubscription names the partial unique index
// netflix_subscriptions_one_live as its conflict target: an insert that
// meets another transaction's uncommitted live subscription for the
// customer waits for it, and does nothing if it commits.
func (t netflixTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (int64, bool, error) {
	r := s.Request
	address, email, phone, err := jsonColumns(r.Address, r.Email, r.Phone)
	if err != nil {
		return 0, false, err
	}
	var promotionID *int64
	if s.PromotionID != 0 {
		promotionID = &s.PromotionID
	}
	var id int64
	err = t.tx.QueryRow(ctx, `INSERT INTO netflix_subscriptions
		(operator_id, customer_identifier, life_cycle_state, netflix_state, channel,
		 customer_first_name, customer_last_name, customer_address, customer_email, customer_phone,
		 promotion_id, netflix_token_expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (operator_id, customer_identifier) WHERE life_cycle_state <> 'CANCELLED' DO NOTHING
		RETURNING id`,
		s.OperatorID, r.Customer, s.LifeCycleState, s.NetflixState, nullString(r.Channel),
		nullString(r.FirstName), nullString(r.LastName), address, email, phone,
		promotionID, nullUnix(s.TokenExpiresAt), unix(s.At), unix(s.At)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (t netflixTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO netflix_redemptions
		(operator_id, customer_identifier, promotion_id, subscription_id, redeemed_at) VALUES ($1, $2, $3, $4, $5)`,
		r.OperatorID, r.Customer, r.PromotionID, r.SubscriptionID, unix(r.At))
	return err
}
