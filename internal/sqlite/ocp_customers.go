package sqlite

import (
	"context"
	"time"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// UpsertCustomers prepares storage.UpsertCustomer once for the
// transaction and runs it per profile: a later profile with the same id
// wins.
func (t ocpTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	stmt, err := t.tx.Prepare(storage.UpsertCustomer.SQLite)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, p := range ps {
		args, err := storage.ProfileArgs(p, at)
		if err != nil {
			return err
		}
		if _, err := stmt.Exec(args...); err != nil {
			return err
		}
	}
	return nil
}
