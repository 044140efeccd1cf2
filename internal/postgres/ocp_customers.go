package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// UpsertCustomers sends upsertCustomerSQL once per profile, as one batch:
// a later profile of the batch with the same id wins.
func (t ocpTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, p := range ps {
		args, err := storage.ProfileArgs(p, at)
		if err != nil {
			return err
		}
		batch.Queue(upsertCustomerSQL, args...)
	}
	return t.tx.SendBatch(ctx, batch).Close()
}

// InsertCustomer inserts unless the id is taken, in one statement.
func (t ocpTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, insertCustomerSQL, p, at)
}

func (t ocpTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, replaceCustomerSQL, p, at)
}

// changeCustomer runs one statement on a profile's columns and tells
// whether it changed a row.
func (t ocpTx) changeCustomer(ctx context.Context, query string, p ocp.Profile, at time.Time) (bool, error) {
	args, err := storage.ProfileArgs(p, at)
	if err != nil {
		return false, err
	}
	n, err := changed(t.tx.Exec(ctx, query, args...))
	return n == 1, err
}
