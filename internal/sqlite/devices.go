package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"carebridge"
)

// Devices are written set-based: the ESNs travel as one JSON array that
// json_each expands, so a 1000-device call is two statements, not 1000.

func (s *NetflixEngine) RegisterDevices(ctx context.Context, operatorID int64, esns []string, actor carebridge.Caller, at time.Time) ([]string, error) {
	list, err := json.Marshal(esns)
	if err != nil {
		return nil, err
	}
	var failed []string
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		// WHERE true: SQLite's parser needs it between SELECT and ON CONFLICT.
		if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
			SELECT value, ?, ?, ? FROM json_each(?) WHERE true
			ON CONFLICT (esn) DO NOTHING`, operatorID, unix(at), actor.UserID, string(list)); err != nil {
			return err
		}
		var err error
		failed, err = queryStrings(ctx, tx, `SELECT j.value FROM json_each(?) j
			JOIN netflix_devices d ON d.esn = j.value
			WHERE d.operator_id <> ? ORDER BY j.key`, string(list), operatorID)
		return err
	})
	return failed, err
}

func (s *NetflixEngine) UnregisterDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	list, err := json.Marshal(esns)
	if err != nil {
		return nil, err
	}
	var failed []string
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		// Those not registered to the operator fail; the rest are deleted.
		var err error
		failed, err = queryStrings(ctx, tx, `SELECT j.value FROM json_each(?) j
			WHERE NOT EXISTS (SELECT 1 FROM netflix_devices d WHERE d.esn = j.value AND d.operator_id = ?)
			ORDER BY j.key`, string(list), operatorID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM netflix_devices
			WHERE operator_id = ? AND esn IN (SELECT value FROM json_each(?))`, operatorID, string(list))
		return err
	})
	return failed, err
}

func queryStrings(ctx context.Context, tx *wtx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
