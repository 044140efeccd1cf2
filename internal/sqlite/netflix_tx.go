package sqlite

import (
	"time"

	"context"

	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// InTx runs fn in a write transaction of the group commit (see writeTx):
// SQLite's one writer makes every transaction serial, so the primitives
// need no locks of their own.
func (s *NetflixEngine) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	return s.db.writeTx(ctx, func(tx *wtx) error { return fn(netflixTx{storage.NetflixTx{Tx: txQuerier{tx}}, tx}) })
}

// netflixTx is netflix.Tx on the writer connection: the primitives both
// engines share (storage.NetflixTx), and its own.
type netflixTx struct {
	storage.NetflixTx
	tx *wtx
}

var _ netflix.Tx = netflixTx{}

// LockCharges has nothing to do: no other transaction runs beside this one.
func (t netflixTx) LockCharges(context.Context, int64, []int64) error { return nil }

func (t netflixTx) AckState(ctx context.Context, operatorID, chargeID int64) (netflix.AckState, error) {
	return storage.ScanAckState(t.tx.QueryRowContext(ctx, storage.AckState.SQLite, chargeID, operatorID), chargeID)
}

// ClaimPendingCharges reads the oldest PENDING charges: the write
// transaction is the claim, as no other can settle them until it ends.
func (t netflixTx) ClaimPendingCharges(ctx context.Context, limit int, now time.Time) ([]netflix.Charge, error) {
	rows, err := t.tx.QueryContext(ctx, storage.ClaimPending.SQLite, storage.Unix(now), limit)
	return collect(rows, err, nil, storage.ScanCharge)
}

// LockLatestSubscriptionOf is LatestSubscriptionOf: the write transaction
// is the hold, as no other can write until it ends.
func (t netflixTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	return t.LatestSubscriptionOf(ctx, operatorID, customer)
}
