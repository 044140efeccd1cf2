package sqlite

import (
	"context"
	"embed"
	"fmt"

	"carebridge/internal/migrations"
	"carebridge/internal/storage"
)

//go:embed migrations/*.sql migrations/legacy/*.sql
var migrationFiles embed.FS

func loadMigrations() (migrations.Plan, error) {
	p, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return p, fmt.Errorf("sqlite: %w", err)
	}
	return p, nil
}

// Migrate brings the schema up to date (see package migrations).
func (db *DB) Migrate(ctx context.Context) error {
	p, err := loadMigrations()
	if err != nil {
		return err
	}
	return db.migrate(ctx, p)
}

// migrate applies the plan p (tests build the databases of earlier
// releases with a part of the legacy steps).
func (db *DB) migrate(ctx context.Context, p migrations.Plan) error {
	if err := migrations.Migrate(ctx, migrator{db}, p); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// migrator is the migrations.Engine of a SQLite database. Its lock is
// SQLite's write lock: the migration is one write transaction, which the
// writer begins IMMEDIATE, so processes starting at once on one file
// migrate one after another.
type migrator struct{ db *DB }

func (m migrator) Locked(ctx context.Context, fn func(migrations.Tx) error) error {
	return m.db.writeTx(ctx, func(tx *wtx) error { return fn(migrationTx{storage.MigrationTx{Tx: txQuerier{tx}}, tx}) })
}

// migrationTx is migrations.Tx in the migration's write transaction: the
// record of applied migrations both engines share (storage.MigrationTx),
// and Exec.
type migrationTx struct {
	storage.MigrationTx
	tx *wtx
}

// Exec runs a whole file, outside the writer's statement cache.
func (t migrationTx) Exec(ctx context.Context, sql string) error {
	_, err := t.tx.tx.ExecContext(context.WithoutCancel(ctx), sql)
	return err
}

// SchemaVersion returns the highest applied migration (0 for a new file).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := db.read.QueryRowContext(ctx, hasSchemaMigrationsSQL).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	return storage.ScanVersion(db.read.QueryRowContext(ctx, storage.SchemaVersion.SQLite))
}
