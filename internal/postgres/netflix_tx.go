package postgres

import (
	"time"

	"context"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// InTx runs fn in one transaction (see DB.tx). Replicas run transactions
// side by side, so the primitives that promise a hold take row locks.
func (s *NetflixEngine) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error { return fn(netflixTx{storage.NetflixTx{Tx: txQuerier{tx}}, tx}) })
}

// netflixTx is netflix.Tx in a PostgreSQL transaction: the primitives both
// engines share (storage.NetflixTx), and its own.
type netflixTx struct {
	storage.NetflixTx
	tx pgx.Tx
}

var _ netflix.Tx = netflixTx{}

func (t netflixTx) LockCharges(ctx context.Context, operatorID int64, ids []int64) error {
	_, err := t.tx.Exec(ctx, lockChargesSQL, ids, operatorID)
	return err
}

// AckState reads the charge FOR UPDATE (ackStateSQL).
func (t netflixTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	return storage.ScanAckState(t.tx.QueryRow(ctx, ackStateSQL, chargeID, operatorID), chargeID)
}

// ClaimPendingCharges takes its rows with FOR UPDATE SKIP LOCKED: the
// processors of several replicas claim disjoint batches side by side, and
// a charge claimed by one is never seen by another until that one commits
// (it is no longer PENDING then), rolls back or dies (the lock goes with
// its connection, and the charge is PENDING as before).
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int, now time.Time) ([]netflix.Charge, error) {
	rows, err := t.tx.Query(ctx, claimPendingSQL, storage.Unix(now), limit)
	return collect(rows, err, nil, storage.ScanCharge)
}

// LockLatestSubscriptionOf reads the latest subscription FOR UPDATE. A
// locking read that waited sees the row as its holder left it, but not a
// newer subscription committed meanwhile (its ORDER BY … LIMIT was
// evaluated before the wait); a new statement does, and then the newer
// one is locked in turn.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	for {
		sub, err := storage.LatestSubscriptionWith(ctx, t.Tx, lockLatestSubscriptionSQL, operatorID, customer)
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
