package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
)

// Devices are written set-based: the ESNs travel as one text[] that unnest
// expands, so a 1000-device call is two statements, not 1000.

// RegisterDevices relies on the primary key: ESNs are inserted with ON
// CONFLICT DO NOTHING (an insert that meets another replica's uncommitted
// row waits for it, then does nothing), and a second statement, which sees
// what the others committed, reads those that belong to another operator.
// Rows are inserted in ESN order, so two overlapping calls take their locks
// in one order and cannot deadlock.
func (s *NetflixEngine) RegisterDevices(ctx context.Context, operatorID int64, esns []string, actor carebridge.Caller, at time.Time) ([]string, error) {
	var failed []string
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
			SELECT e, $2, $3, $4 FROM unnest($1::text[]) AS e ORDER BY e
			ON CONFLICT (esn) DO NOTHING`, esns, operatorID, unix(at), actor.UserID); err != nil {
			return err
		}
		var err error
		failed, err = queryStrings(ctx, tx, `SELECT e.esn FROM unnest($1::text[]) WITH ORDINALITY AS e (esn, n)
			JOIN netflix_devices d ON d.esn = e.esn
			WHERE d.operator_id <> $2 ORDER BY e.n`, esns, operatorID)
		return err
	})
	return failed, retryable(err)
}

// UnregisterDevices deletes the operator's rows among the ESNs and reports
// the others. The rows deleted are what the DELETE returns: an ESN another
// replica removed (or moved) meanwhile fails here, as it would after it
// under SQLite's single writer. The rows are locked in ESN order first.
func (s *NetflixEngine) UnregisterDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	var failed []string
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		deleted, err := queryStrings(ctx, tx, `DELETE FROM netflix_devices WHERE esn IN (
				SELECT esn FROM netflix_devices WHERE operator_id = $1 AND esn = ANY ($2::text[])
				ORDER BY esn FOR UPDATE)
			AND operator_id = $1
			RETURNING esn`, operatorID, esns)
		if err != nil {
			return err
		}
		gone := make(map[string]bool, len(deleted))
		for _, e := range deleted {
			gone[e] = true
		}
		failed = nil
		for _, e := range esns {
			if !gone[e] {
				failed = append(failed, e)
			}
		}
		return nil
	})
	return failed, retryable(err)
}

func queryStrings(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string // nil when nothing matched, as in the sqlite engine
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
