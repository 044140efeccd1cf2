package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/storage"
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
	_, err := t.tx.Exec(ctx, lockChargesSQL, ids, operatorID)
	return err
}

// AckState reads the charge FOR UPDATE (ackStateSQL).
func (t netflixTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	s, err := storage.ScanAckState(t.tx.QueryRow(ctx, ackStateSQL, chargeID, operatorID))
	return s, notFound(err, storage.NoCharge, chargeID)
}

func (t netflixTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (yes bool, err error) {
	err = t.tx.QueryRow(ctx, storage.StatusAcknowledged.Postgres, chargeID, status).Scan(&yes)
	return yes, err
}

// ClaimReferenceNumber: another transaction inserting the same reference
// at once makes this insert wait for it and then do nothing, and the read
// after it sees that transaction's row.
func (t netflixTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (holder int64, err error) {
	if _, err := t.tx.Exec(ctx, storage.InsertReference.Postgres, operatorID, reference, chargeID); err != nil {
		return 0, err
	}
	err = t.tx.QueryRow(ctx, storage.ReferenceHolder.Postgres, operatorID, reference).Scan(&holder)
	return holder, err
}

func (t netflixTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	_, err := t.tx.Exec(ctx, storage.InsertAcknowledgement.Postgres, storage.AcknowledgementArgs(a)...)
	return err
}

func (t netflixTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	_, err := t.tx.Exec(ctx, storage.MarkAcknowledged.Postgres, chargeID, status)
	return err
}

// ClaimPendingCharges takes its rows with FOR UPDATE SKIP LOCKED: the
// processors of several replicas claim disjoint batches side by side, and
// a charge claimed by one is never seen by another until that one commits
// (it is no longer PENDING then), rolls back or dies (the lock goes with
// its connection, and the charge is PENDING as before).
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int) ([]netflix.Charge, error) {
	rows, err := t.tx.Query(ctx, claimPendingSQL, limit)
	return collect(rows, err, nil, storage.ScanCharge)
}

func (t netflixTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	return t.latestSubscription(ctx, storage.LatestSubscription.Postgres, operatorID, customer)
}

// latestSubscription reads the customer's latest subscription with query;
// none is nil.
func (t netflixTx) latestSubscription(ctx context.Context, query string, operatorID int64, customer string) (*netflix.Subscription, error) {
	sub, err := storage.ScanSubscription(t.tx.QueryRow(ctx, query, operatorID, customer))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	return changedOne(t.tx.Exec(ctx, q.Postgres, status, storage.Unix(at), storage.NullID(subscriptionID), chargeID))
}

func (t netflixTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	_, err := t.tx.Exec(ctx, storage.InsertChargeEvent.Postgres, storage.ChargeEventArgs(e)...)
	return err
}

func (t netflixTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	_, err := t.tx.Exec(ctx, addCustomerPriceSQL, operatorID, customer, amount.Minor, amount.Currency, chargeID)
	return err
}

// SetSubscriptionState: the UPDATE waits for a transaction holding the
// row, then checks the state on the row as that one left it.
func (t netflixTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	return changedOne(t.tx.Exec(ctx, storage.SetSubscriptionState.Postgres, life, onNetflix, storage.Unix(at), subscriptionID, from))
}

func (t netflixTx) InsertEvent(ctx context.Context, e netflix.Event) error {
	_, err := t.tx.Exec(ctx, storage.InsertEvent.Postgres, storage.EventArgs(e)...)
	return err
}

func (t netflixTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := storage.ScanPromotion(t.tx.QueryRow(ctx, storage.PromotionByCode.Postgres, operatorID, code))
	return p, notFound(err, storage.PromotionNotFound, code)
}

// LockLatestSubscriptionOf reads the latest subscription FOR UPDATE. A
// locking read that waited sees the row as its holder left it, but not a
// newer subscription committed meanwhile (its ORDER BY … LIMIT was
// evaluated before the wait); a new statement does, and then the newer
// one is locked in turn.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	for {
		sub, err := t.latestSubscription(ctx, lockLatestSubscriptionSQL, operatorID, customer)
		if sub == nil || err != nil {
			return nil, err
		}
		var newer bool
		if err := t.tx.QueryRow(ctx, newerSubscriptionSQL, operatorID, customer, sub.ID).Scan(&newer); err != nil {
			return nil, err
		}
		if !newer {
			return sub, nil
		}
	}
}

// InsertSubscription names the partial unique index
// netflix_subscriptions_one_live as its conflict target: an insert that
// meets another transaction's uncommitted live subscription for the
// customer waits for it, and does nothing if it commits.
func (t netflixTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (id int64, inserted bool, err error) {
	args, err := storage.SubscriptionArgs(s)
	if err != nil {
		return 0, false, err
	}
	err = t.tx.QueryRow(ctx, storage.InsertSubscription.Postgres, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (t netflixTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	_, err := t.tx.Exec(ctx, storage.InsertRedemption.Postgres, storage.RedemptionArgs(r)...)
	return err
}
