package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// UpsertCustomers sends storage.UpsertCustomer.Postgres once per profile, as one batch:
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
		batch.Queue(storage.UpsertCustomer.Postgres, args...)
	}
	return t.tx.SendBatch(ctx, batch).Close()
}
