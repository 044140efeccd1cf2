package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// InTx runs fn in one transaction (see DB.tx). Replicas run transactions
// side by side, so the primitives that promise a hold take locks.
func (s *OCPEngine) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error { return fn(ocpTx{storage.OCPTx{Tx: txQuerier{tx}}, tx}) })
}

// ocpTx is ocp.Tx in a PostgreSQL transaction: the primitives both
// engines share (storage.OCPTx), and its own.
type ocpTx struct {
	storage.OCPTx
	tx pgx.Tx
}

var _ ocp.Tx = ocpTx{}

// lockGrants takes, before anything else, the lock that writing
// ocp_application_customers takes anyway (ROW EXCLUSIVE). A transaction
// that writes or key-share-locks ocp_applications and then writes grants
// would otherwise take its locks in the opposite order to a factory reset
// (which locks ocp_application_customers, then ocp_applications) and could
// deadlock with it. Taken first, it makes a grant or revoke wait for a
// running reset, and then find the application gone.
func (t ocpTx) lockGrants(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, lockGrantsSQL)
	return err
}

// InsertApplication takes lockGrants first, as the grants follow.
func (t ocpTx) InsertApplication(ctx context.Context, a ocp.Application) (bool, error) {
	if err := t.lockGrants(ctx); err != nil {
		return false, err
	}
	return t.OCPTx.InsertApplication(ctx, a)
}

// LockApplication takes lockGrants, then a key-share lock on the
// application's row until the transaction ends, so that the application
// cannot be deleted before the grants that follow are written.
func (t ocpTx) LockApplication(ctx context.Context, appID int64) (bool, error) {
	if err := t.lockGrants(ctx); err != nil {
		return false, err
	}
	var one int
	err := t.tx.QueryRow(ctx, lockApplicationSQL, appID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (t ocpTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // a nil list is none; it would be bound as a NULL array
	}
	_, err := t.tx.Exec(ctx, insertGrantsSQL, appID, customers)
	return err
}

// DeleteGrants deletes and reads back in one statement. The deleted rows
// stay locked until the end, so a concurrent delete of the same grant
// waits and then finds it gone.
func (t ocpTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	if len(customers) == 0 {
		return []int64{}, nil // a nil list would be bound as a NULL array
	}
	rows, err := t.tx.Query(ctx, deleteGrantsSQL, appID, customers)
	return collect(rows, err, []int64{}, storage.ScanID)
}
