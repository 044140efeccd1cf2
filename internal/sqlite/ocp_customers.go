package sqlite

import (
	"context"
	"time"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// UpsertCustomers prepares upsertCustomerSQL once for the transaction and
// runs it per profile: a later profile with the same id wins.
func (t ocpTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	stmt, err := t.tx.Prepare(upsertCustomerSQL)
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
	n, err := txQuerier{t.tx}.exec(ctx, query, args...)
	return n == 1, err
}
