package migrations

import (
	"context"
	"fmt"
	"slices"
)

// Engine is what a storage engine gives the migrate loop: one transaction
// holding the lock that keeps two processes from migrating one database at
// once.
type Engine interface {
	// Locked runs fn in one transaction that first takes the engine's
	// migration lock, and commits it when fn returns nil; when fn fails,
	// nothing fn did is kept. A process that calls Locked while another
	// holds the lock waits for it (on SQLite, up to the busy timeout), and
	// then sees what it committed.
	Locked(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is the transaction of Engine.Locked.
type Tx interface {
	// Applied returns the versions recorded in schema_migrations, creating
	// the table on a new database.
	Applied(ctx context.Context) ([]int, error)
	// Exec runs the statements of one migration file.
	Exec(ctx context.Context, sql string) error
	// Record notes m as applied.
	Record(ctx context.Context, m Migration) error
}

// Migrate brings the database of e up to date with p in one transaction
// of e, as the package documentation describes.
func Migrate(ctx context.Context, e Engine, p Plan) error {
	return e.Locked(ctx, func(tx Tx) error {
		applied, err := tx.Applied(ctx)
		if err != nil {
			return err
		}
		current := 0
		if len(applied) > 0 {
			current = slices.Max(applied)
		}
		latest := len(p.Legacy)
		if n := len(p.Steps); n > 0 {
			latest = p.Steps[n-1].Version
		}
		if current > latest {
			return fmt.Errorf("the database is at schema version %d, newer than this carebridge knows (%d); run a newer carebridge", current, latest)
		}
		if current > 0 && len(p.Steps) > 0 && current < p.Steps[0].Version {
			// A database of an earlier release.
			if current > len(p.Legacy) {
				return fmt.Errorf("the database is at schema version %d, which this carebridge does not know", current)
			}
			for _, m := range p.Legacy {
				if !slices.Contains(applied, m.Version) {
					if err := apply(ctx, tx, m); err != nil {
						return err
					}
				}
			}
			if err := tx.Record(ctx, p.Steps[0]); err != nil {
				return err
			}
			applied = append(applied, p.Steps[0].Version)
		}
		for _, m := range p.Steps {
			if !slices.Contains(applied, m.Version) {
				if err := apply(ctx, tx, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func apply(ctx context.Context, tx Tx, m Migration) error {
	if err := tx.Exec(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if err := tx.Record(ctx, m); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	return nil
}
