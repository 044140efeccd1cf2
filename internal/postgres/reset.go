package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
)

// resetTables deletes every row of a plugin's tables and writes the audit
// record, in one transaction. tables lists children before their parents,
// which is the order the rows are deleted in.
//
// The tables are first locked in EXCLUSIVE mode (plain reads go on; writes
// and SELECT … FOR UPDATE wait): in READ COMMITTED, a replica writing a child
// row of a parent this transaction is about to delete would otherwise make
// the delete fail on the foreign key, or leave an orphan the reset did not
// see. Writers that are already running are waited for. Sequences are left
// alone, so that numbers are never reused.
//
// Writers lock parents before children and the reset locks children first,
// so the two can deadlock; PostgreSQL then rolls one back. The reset tries
// again a few times (its locks make it win once writers drain).
func (db *DB) resetTables(ctx context.Context, callsign, actor string, at time.Time, tables []string) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = db.resetOnce(ctx, callsign, actor, at, tables)
		if carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
			return err
		}
	}
	return err
}

func (db *DB) resetOnce(ctx context.Context, callsign, actor string, at time.Time, tables []string) error {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pgx.Identifier{t}.Sanitize()
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if len(quoted) > 0 {
			if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(quoted, ", ")+` IN EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		for _, t := range quoted {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, subject) VALUES ($1, $2, 'factory-reset', $3)`,
			unix(at), actor, callsign)
		return err
	})
}
