package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"carebridge/internal/ocp"
)

// InTx runs fn in a write transaction of the group commit (see writeTx):
// SQLite's one writer makes every transaction serial, so the primitives
// need no locks of their own.
func (s *OCPEngine) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	return s.db.writeTx(ctx, func(tx *wtx) error { return fn(ocpTx{tx}) })
}

// ocpTx is ocp.Tx on the writer connection.
type ocpTx struct{ tx *wtx }

var _ ocp.Tx = ocpTx{}

func (t ocpTx) InsertApplication(ctx context.Context, a ocp.Application) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, a.AppID, a.Name, a.ClientID, a.ClientSecretHash, unix(a.CreatedAt))
	return changedOne(res, err)
}

// LockApplication only reads: no other transaction runs beside this one.
func (t ocpTx) LockApplication(ctx context.Context, appID int64) (bool, error) {
	var exists bool
	err := t.tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_applications WHERE app_id = ?)`, appID).Scan(&exists)
	return exists, err
}

func (t ocpTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // json.Marshal(nil) is null, which json_each reads as one NULL row
	}
	ids, err := json.Marshal(customers)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT ?, value FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`, appID, string(ids))
	return err
}

func (t ocpTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	ids, err := json.Marshal(customers)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `DELETE FROM ocp_application_customers
		WHERE app_id = ? AND customer_id IN (SELECT value FROM json_each(?)) RETURNING customer_id`, appID, string(ids))
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func (t ocpTx) InsertToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash, appID, unix(at), unix(expires))
	return err
}

func (t ocpTx) DeleteTokensExpiredBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, `DELETE FROM ocp_tokens WHERE expires_at < ?`, unix(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
