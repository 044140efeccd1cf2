package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/storage"
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
	s, err := storage.ScanAckState(t.tx.QueryRowContext(ctx, storage.AckState.SQLite, chargeID, operatorID))
	return s, notFound(err, storage.NoCharge, chargeID)
}

func (t netflixTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (yes bool, err error) {
	err = t.tx.QueryRowContext(ctx, storage.StatusAcknowledged.SQLite, chargeID, status).Scan(&yes)
	return yes, err
}

func (t netflixTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (holder int64, err error) {
	if _, err := t.tx.ExecContext(ctx, storage.InsertReference.SQLite, operatorID, reference, chargeID); err != nil {
		return 0, err
	}
	err = t.tx.QueryRowContext(ctx, storage.ReferenceHolder.SQLite, operatorID, reference).Scan(&holder)
	return holder, err
}

func (t netflixTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	_, err := t.tx.ExecContext(ctx, storage.InsertAcknowledgement.SQLite, storage.AcknowledgementArgs(a)...)
	return err
}

func (t netflixTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	_, err := t.tx.ExecContext(ctx, storage.MarkAcknowledged.SQLite, chargeID, status)
	return err
}

// ClaimPendingCharges reads the oldest PENDING charges: the write
// transaction is the claim, as no other can settle them until it ends.
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int) ([]netflix.Charge, error) {
	rows, err := t.tx.QueryContext(ctx, storage.ClaimPending.SQLite, limit)
	return collect(rows, err, nil, storage.ScanCharge)
}

func (t netflixTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	sub, err := storage.ScanSubscription(t.tx.QueryRowContext(ctx, storage.LatestSubscription.SQLite, operatorID, customer))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sub, nil
}

func (t netflixTx) SettleCharge(ctx context.Context, chargeID int64, status netflix.ChargeStatus, at time.Time, subscriptionID int64) (bool, error) {
	q, err := storage.SettleCharge(status)
	if err != nil {
		return false, err
	}
	return changedOne(t.tx.ExecContext(ctx, q.SQLite, status, storage.Unix(at), storage.NullID(subscriptionID), chargeID))
}

func (t netflixTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	_, err := t.tx.ExecContext(ctx, storage.InsertChargeEvent.SQLite, storage.ChargeEventArgs(e)...)
	return err
}

func (t netflixTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	_, err := t.tx.ExecContext(ctx, addCustomerPriceSQL, operatorID, customer, amount.Minor, amount.Currency, chargeID)
	return err
}

func (t netflixTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	return changedOne(t.tx.ExecContext(ctx, storage.SetSubscriptionState.SQLite, life, onNetflix, storage.Unix(at), subscriptionID, from))
}

func (t netflixTx) InsertEvent(ctx context.Context, e netflix.Event) error {
	_, err := t.tx.ExecContext(ctx, storage.InsertEvent.SQLite, storage.EventArgs(e)...)
	return err
}

func (t netflixTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := storage.ScanPromotion(t.tx.QueryRowContext(ctx, storage.PromotionByCode.SQLite, operatorID, code))
	return p, notFound(err, storage.PromotionNotFound, code)
}

// LockLatestSubscriptionOf is LatestSubscriptionOf: the write transaction
// is the hold, as no other can write until it ends.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	return t.LatestSubscriptionOf(ctx, operatorID, customer)
}

func (t netflixTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (id int64, inserted bool, err error) {
	args, err := storage.SubscriptionArgs(s)
	if err != nil {
		return 0, false, err
	}
	err = t.tx.QueryRowContext(ctx, storage.InsertSubscription.SQLite, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (t netflixTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	_, err := t.tx.ExecContext(ctx, storage.InsertRedemption.SQLite, storage.RedemptionArgs(r)...)
	return err
}
