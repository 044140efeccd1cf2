package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
)

// InTx runs fn in one transaction (see DB.tx). Replicas run transactions
// side by side, so the primitives that promise a hold take locks.
func (s *OCPEngine) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error { return fn(ocpTx{tx}) })
}

// ocpTx is ocp.Tx in a PostgreSQL transaction.
type ocpTx struct{ tx pgx.Tx }

var _ ocp.Tx = ocpTx{}

// lockGrants takes, before anything else, the lock that writing
// ocp_application_customers takes anyway (ROW EXCLUSIVE). A transaction
// that writes or key-share-locks ocp_applications and then writes grants
// would otherwise take its locks in the opposite order to a factory reset
// (which locks ocp_application_customers, then ocp_applications) and could
// deadlock with it. Taken first, it makes a grant or revoke wait for a
// running reset, and then find the application gone.
func (t ocpTx) lockGrants(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, `LOCK TABLE ocp_application_customers IN ROW EXCLUSIVE MODE`)
	return err
}

// InsertApplication takes lockGrants first, as the grants follow.
func (t ocpTx) InsertApplication(ctx context.Context, a ocp.Application) (bool, error) {
	if err := t.lockGrants(ctx); err != nil {
		return false, err
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, a.AppID, a.Name, a.ClientID, a.ClientSecretHash, unix(a.CreatedAt))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// LockApplication takes lockGrants, then a key-share lock on the
// application's row until the transaction ends, so that the application
// cannot be deleted before the grants that follow are written.
func (t ocpTx) LockApplication(ctx context.Context, appID int64) (bool, error) {
	if err := t.lockGrants(ctx); err != nil {
		return false, err
	}
	var one int
	err := t.tx.QueryRow(ctx, `SELECT 1 FROM ocp_applications WHERE app_id = $1 FOR KEY SHARE`, appID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (t ocpTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // a nil list is none; it would be bound as a NULL array
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT $1, c FROM unnest($2::bigint[]) AS c ON CONFLICT DO NOTHING`, appID, customers)
	return err
}

// DeleteGrants deletes and reads back in one statement. The deleted rows
// stay locked until the end, so a concurrent delete of the same grant
// waits and then finds it gone.
func (t ocpTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	if len(customers) == 0 {
		return []int64{}, nil // a nil list would be bound as a NULL array
	}
	rows, err := t.tx.Query(ctx, `DELETE FROM ocp_application_customers
		WHERE app_id = $1 AND customer_id = ANY($2::bigint[]) RETURNING customer_id`, appID, customers)
	if err != nil {
		return nil, err
	}
	return collectIDs(rows)
}

func (t ocpTx) InsertToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, appID, unix(at), unix(expires))
	return err
}

func (t ocpTx) DeleteTokensExpiredBefore(ctx context.Context, before time.Time) (int64, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM ocp_tokens WHERE expires_at < $1`, unix(before))
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
