// Package reset is the factory reset of the plugins' data (Thunder's
// CustomerCareOperations): what a reset wipes, in what order, and what it
// records, written once over each engine's transaction.
package reset

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/migrations"
)

// Engine is what a storage engine gives a factory reset.
type Engine interface {
	// InTx runs fn in one write transaction that no other transaction
	// writes any of tables beside: writers already running are waited
	// for, later ones wait for it. It is committed when fn returns nil
	// and rolled back, every write of fn undone, when fn returns an
	// error. A transaction the engine had to give up on (a deadlock with
	// a writer) answers EUNAVAILABLE: nothing was written, and the caller
	// may try again.
	InTx(ctx context.Context, tables []string, fn func(tx Tx) error) error
}

// Tx is one transaction of a reset.
type Tx interface {
	// DeleteAll deletes every row of a table (one InTx was given).
	DeleteAll(ctx context.Context, table string) error
	// Audit appends a record to the platform audit log.
	Audit(ctx context.Context, e carebridge.AuditEntry) error
}

// Action is the audit log's name for a factory reset.
const Action = "factory-reset"

// attempts bounds the tries of a reset that keeps losing deadlocks to
// writers; its locks make it win once they drain.
const attempts = 5

// Resetter wipes the plugins' data on an Engine.
type Resetter struct{ engine Engine }

// New returns the factory reset of e.
func New(e Engine) *Resetter { return &Resetter{engine: e} }

// FactoryReset deletes every row of each named plugin's tables (children
// before parents, see migrations.PluginTables) and writes one audit record
// per plugin, in the order given, all in one transaction: the plugins are
// reset together or not at all. A plugin that owns no tables refuses the
// whole reset before anything is deleted. Platform data (tenants, users,
// sessions, operators and their partner secrets) is not touched.
func (r *Resetter) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	tables, err := migrations.ResetTables(callsigns)
	if err != nil || len(callsigns) == 0 {
		return err
	}
	var all []string
	for _, ts := range tables {
		all = append(all, ts...)
	}
	for range attempts {
		err = r.engine.InTx(ctx, all, func(tx Tx) error {
			for i, c := range callsigns {
				for _, t := range tables[i] {
					if err := tx.DeleteAll(ctx, t); err != nil {
						return err
					}
				}
				if err := tx.Audit(ctx, carebridge.AuditEntry{At: at, Actor: actor, Action: Action, Subject: c}); err != nil {
					return err
				}
			}
			return nil
		})
		if carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
			return err
		}
	}
	return err
}
