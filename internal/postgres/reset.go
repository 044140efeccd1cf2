package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/reset"
	"carebridge/internal/storage"
)

// FactoryReset wipes the plugins' data as the reset package decides, on
// this database.
func (db *DB) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	return reset.New(resetEngine{db}).FactoryReset(ctx, actor, at, callsigns)
}

// resetEngine is reset.Engine on PostgreSQL.
type resetEngine struct{ db *DB }

// InTx first locks every table named in EXCLUSIVE mode (plain reads go
// on; writes and SELECT … FOR UPDATE wait): in READ COMMITTED, a replica
// writing a child row of a parent the reset is about to delete would
// otherwise make the delete fail on the foreign key, or leave an orphan
// the reset did not see. Writers that are already running are waited for.
// Writers lock parents before children and the reset children first, so
// the two can deadlock; PostgreSQL then rolls one back, EUNAVAILABLE.
func (e resetEngine) InTx(ctx context.Context, tables []string, fn func(tx reset.Tx) error) error {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pgx.Identifier{t}.Sanitize()
	}
	return e.db.tx(ctx, func(tx pgx.Tx) error {
		if len(quoted) > 0 {
			if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(quoted, ", ")+` IN EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		return fn(storage.ResetTx{Tx: txQuerier{tx}})
	})
}
