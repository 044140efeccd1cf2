package sqlite

import (
	"context"
	"time"

	"carebridge/internal/migrations"
)

// FactoryReset deletes every row of the plugins' tables and writes one
// audit record per plugin, in the order given, all in one transaction:
// the plugins are reset together or not at all.
func (db *DB) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	tables, err := migrations.ResetTables(callsigns)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *wtx) error {
		for i, c := range callsigns {
			for _, t := range tables[i] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, subject) VALUES (?, ?, 'factory-reset', ?)`,
				unix(at), actor, c); err != nil {
				return err
			}
		}
		return nil
	})
}
