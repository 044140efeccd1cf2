package sqlite

import (
	"context"
	"time"

	"carebridge/internal/reset"
	"carebridge/internal/storage"
)

// FactoryReset wipes the plugins' data as the reset package decides, on
// this database, and then empties the read caches.
func (db *DB) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	err := reset.New(resetEngine{db}).FactoryReset(ctx, actor, at, callsigns)
	db.showCache.Clear()
	db.ocpCaches.Clear()
	return err
}

// resetEngine is reset.Engine on SQLite.
type resetEngine struct{ db *DB }

// InTx runs fn in a write transaction of the group commit: SQLite's one
// writer keeps every other writer out without a lock of its own.
func (e resetEngine) InTx(ctx context.Context, tables []string, fn func(tx reset.Tx) error) error {
	return e.db.writeTx(ctx, func(tx *wtx) error { return fn(storage.ResetTx{Tx: txQuerier{tx}}) })
}
