package sqlite

import (
	"context"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// InTx runs fn in a write transaction of the group commit (see writeTx):
// SQLite's one writer makes every transaction serial, so the primitives
// need no locks of their own.
func (s *OCPEngine) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	return s.db.writeTx(ctx, func(tx *wtx) error { return fn(ocpTx{storage.OCPTx{Tx: txQuerier{tx}}, tx}) })
}

// ocpTx is ocp.Tx on the writer connection: the primitives both engines
// share (storage.OCPTx), and its own.
type ocpTx struct {
	storage.OCPTx
	tx *wtx
}

var _ ocp.Tx = ocpTx{}

// LockApplication only reads: no other transaction runs beside this one.
func (t ocpTx) LockApplication(ctx context.Context, appID int64) (exists bool, err error) {
	err = t.tx.QueryRowContext(ctx, applicationExistsSQL, appID).Scan(&exists)
	return exists, err
}

func (t ocpTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // a nil list encodes as null, which json_each reads as one NULL row
	}
	_, err := t.tx.ExecContext(ctx, insertGrantsSQL, appID, jsonArray(customers))
	return err
}

func (t ocpTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	rows, err := t.tx.QueryContext(ctx, deleteGrantsSQL, appID, jsonArray(customers))
	return collect(rows, err, []int64{}, storage.ScanID)
}
