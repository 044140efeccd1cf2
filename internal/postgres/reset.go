package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/migrations"
)

// FactoryReset deletes every row of the plugins' tables and writes one
// audit record per plugin, in the order given, all in one transaction:
// the plugins are reset together or not at all.
//
// The tables of every plugin named are first locked in EXCLUSIVE mode
// (plain reads go on; writes and SELECT … FOR UPDATE wait): in READ
// COMMITTED, a replica writing a child row of a parent this transaction is
// about to delete would otherwise make the delete fail on the foreign key,
// or leave an orphan the reset did not see. Writers that are already
// running are waited for.
//
// Writers lock parents before children and the reset locks children first,
// so the two can deadlock; PostgreSQL then rolls one back. The reset tries
// again a few times (its locks make it win once writers drain).
func (db *DB) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	tables, err := migrations.ResetTables(callsigns)
	if err != nil || len(callsigns) == 0 {
		return err
	}
	quoted := make([][]string, len(tables))
	for i, ts := range tables {
		for _, t := range ts {
			quoted[i] = append(quoted[i], pgx.Identifier{t}.Sanitize())
		}
	}
	for attempt := 0; attempt < 5; attempt++ {
		err = db.resetOnce(ctx, actor, at, callsigns, quoted)
		if carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
			return err
		}
	}
	return err
}

// resetOnce is one try of FactoryReset; quoted holds each plugin's tables,
// quoted for SQL.
func (db *DB) resetOnce(ctx context.Context, actor string, at time.Time, callsigns []string, quoted [][]string) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(slices.Concat(quoted...), ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		for i, c := range callsigns {
			for _, t := range quoted[i] {
				if _, err := tx.Exec(ctx, `DELETE FROM `+t); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO audit_log (at, actor, action, subject) VALUES ($1, $2, 'factory-reset', $3)`,
				unix(at), actor, c); err != nil {
				return err
			}
		}
		return nil
	})
}
