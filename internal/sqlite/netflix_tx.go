package sqlite

import (
	"context"
	"database/sql"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// InTx runs fn in a write transaction of the group commit (see writeTx):
// SQLite's one writer makes every transaction serial, so the primitives
// need no locks of their own.
func (s *NetflixEngine) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	return s.db.writeTx(ctx, func(tx *wtx) error { return fn(netflixTx{tx}) })
}

// netflixTx is netflix.Tx on the writer connection.
type netflixTx struct{ tx *wtx }

var _ netflix.Tx = netflixTx{}

// LockCharges has nothing to do: no other transaction runs beside this one.
func (t netflixTx) LockCharges(context.Context, int64, []int64) error { return nil }

func (t netflixTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	var s netflix.AckState
	err := t.tx.QueryRowContext(ctx, `SELECT customer_identifier, status, listed_pending FROM netflix_charges WHERE id = ? AND operator_id = ?`,
		chargeID, operatorID).Scan(&s.Customer, &s.Status, &s.ListedPending)
	if err == sql.ErrNoRows {
		return s, carebridge.Errorf(carebridge.ENOTFOUND, "No charge %d.", chargeID)
	}
	return s, err
}

func (t netflixTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (bool, error) {
	var yes bool
	err := t.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = ? AND status = ?)`,
		chargeID, status).Scan(&yes)
	return yes, err
}

func (t netflixTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (int64, error) {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, operatorID, reference, chargeID); err != nil {
		return 0, err
	}
	var holder int64
	err := t.tx.QueryRowContext(ctx, `SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = ? AND reference_number = ?`,
		operatorID, reference).Scan(&holder)
	return holder, err
}

func (t netflixTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ChargeID, a.Status, a.OperatorID, nullString(a.ReferenceNumber), a.ActorUserID, unix(a.At))
	return err
}

func (t netflixTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE netflix_charges SET unacknowledged = 0 WHERE id = ? AND status = ?`, chargeID, status)
	return err
}

// ClaimPendingCharges reads the oldest PENDING charges: the write
// transaction is the claim, as no other can settle them until it ends.
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int) ([]netflix.Charge, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+chargeColumns+` FROM netflix_charges
		WHERE status = 'PENDING' ORDER BY id LIMIT ?`, limit)
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
	sub, err := scanSubscription(t.tx.QueryRowContext(ctx, latestSubscriptionSQL, operatorID, customer))
	switch {
	case err == sql.ErrNoRows:
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
	res, err := t.tx.ExecContext(ctx, `UPDATE netflix_charges SET status = ?, `+column+` = ?, subscription_id = ?, unacknowledged = 1
		WHERE id = ? AND status = 'PENDING'`, status, unix(at), sql.NullInt64{Int64: subscriptionID, Valid: subscriptionID != 0}, chargeID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t netflixTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES (?, ?, ?, ?, ?)`, e.ChargeID, nullString(string(e.From)), e.To, e.Actor, unix(e.At))
	return err
}

func (t netflixTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_customer_prices
		(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
		DO UPDATE SET first_charge_id = min(first_charge_id, excluded.first_charge_id)`,
		operatorID, customer, amount.Minor, amount.Currency, chargeID)
	return err
}

func (t netflixTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `UPDATE netflix_subscriptions SET life_cycle_state = ?, netflix_state = ?, updated_at = ?
		WHERE id = ? AND life_cycle_state = ?`, life, onNetflix, unix(at), subscriptionID, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t netflixTx) InsertEvent(ctx context.Context, e netflix.Event) error {
	return insertEvent(ctx, t.tx, e)
}

func (t netflixTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := scanPromotion(t.tx.QueryRowContext(ctx, promotionByCodeSQL, operatorID, code))
	return p, notFound(err, promotionNotFound, code)
}

// LockLatestSubscriptionOf is LatestSubscriptionOf: the write transaction
// is the hold, as no other can write until it ends.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	return t.LatestSubscriptionOf(ctx, operatorID, customer)
}

// InsertSubscription leaves a customer's second live subscription to the
// partial unique index netflix_subscriptions_one_live, which the insert
// names as its conflict target.
func (t netflixTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (int64, bool, error) {
	r := s.Request
	address, email, phone, err := jsonColumns(r.Address, r.Email, r.Phone)
	if err != nil {
		return 0, false, err
	}
	var id int64
	err = t.tx.QueryRowContext(ctx, `INSERT INTO netflix_subscriptions
		(operator_id, customer_identifier, life_cycle_state, netflix_state, channel,
		 customer_first_name, customer_last_name, customer_address, customer_email, customer_phone,
		 promotion_id, netflix_token_expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier) WHERE life_cycle_state <> 'CANCELLED' DO NOTHING
		RETURNING id`,
		s.OperatorID, r.Customer, s.LifeCycleState, s.NetflixState, nullString(r.Channel),
		nullString(r.FirstName), nullString(r.LastName), address, email, phone,
		sql.NullInt64{Int64: s.PromotionID, Valid: s.PromotionID != 0}, nullUnix(s.TokenExpiresAt), unix(s.At), unix(s.At)).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (t netflixTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_redemptions
		(operator_id, customer_identifier, promotion_id, subscription_id, redeemed_at) VALUES (?, ?, ?, ?, ?)`,
		r.OperatorID, r.Customer, r.PromotionID, r.SubscriptionID, unix(r.At))
	return err
}
