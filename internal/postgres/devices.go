package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Devices are written set-based: the ESNs travel as one text[] that unnest
// expands, so a 1000-device call is two statements, not 1000.

// ClaimDevices relies on the primary key: ESNs are inserted with ON
// CONFLICT DO NOTHING (an insert that meets another transaction's
// uncommitted row waits for it, then does nothing), and a second
// statement, which sees what the others committed, reads those that
// belong to another operator. Rows are inserted in ESN order, so two
// overlapping claims take their locks in one order and cannot deadlock.
func (t netflixTx) ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) ([]string, error) {
	if _, err := t.tx.Exec(ctx, `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
		SELECT e, $2, $3, $4 FROM unnest($1::text[]) AS e ORDER BY e
		ON CONFLICT (esn) DO NOTHING`, esns, operatorID, unix(at), userID); err != nil {
		return nil, err
	}
	return queryStrings(ctx, t.tx, `SELECT d.esn FROM netflix_devices d
		WHERE d.esn = ANY ($1::text[]) AND d.operator_id <> $2`, esns, operatorID)
}

// ReleaseDevices returns what its DELETE returns: an ESN another
// transaction removed (or moved) meanwhile is not among them. The rows
// are locked in ESN order first, so two overlapping releases cannot
// deadlock.
func (t netflixTx) ReleaseDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	return queryStrings(ctx, t.tx, `DELETE FROM netflix_devices WHERE esn IN (
			SELECT esn FROM netflix_devices WHERE operator_id = $1 AND esn = ANY ($2::text[])
			ORDER BY esn FOR UPDATE)
		AND operator_id = $1
		RETURNING esn`, operatorID, esns)
}

func queryStrings(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
