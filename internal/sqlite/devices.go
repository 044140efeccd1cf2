package sqlite

import (
	"context"
	"encoding/json"
	"time"
)

// Devices are written set-based: the ESNs travel as one JSON array that
// json_each expands, so a 1000-device call is two statements, not 1000.

func (t netflixTx) ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) ([]string, error) {
	list, err := json.Marshal(esns)
	if err != nil {
		return nil, err
	}
	// WHERE true: SQLite's parser needs it between SELECT and ON CONFLICT.
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
		SELECT value, ?, ?, ? FROM json_each(?) WHERE true
		ON CONFLICT (esn) DO NOTHING`, operatorID, unix(at), userID, string(list)); err != nil {
		return nil, err
	}
	// json_each is the outer loop (ORDER BY j.key keeps the planner
	// there): each ESN probes the primary key once.
	return queryStrings(ctx, t.tx, `SELECT j.value FROM json_each(?) j
		JOIN netflix_devices d ON d.esn = j.value
		WHERE d.operator_id <> ? ORDER BY j.key`, string(list), operatorID)
}

func (t netflixTx) ReleaseDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	list, err := json.Marshal(esns)
	if err != nil {
		return nil, err
	}
	return queryStrings(ctx, t.tx, `DELETE FROM netflix_devices
		WHERE operator_id = ? AND esn IN (SELECT value FROM json_each(?))
		RETURNING esn`, operatorID, string(list))
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
