package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"carebridge/internal/migrations"
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
	return m.db.writeTx(ctx, func(tx *wtx) error { return fn(migrationTx{tx}) })
}

type migrationTx struct{ tx *wtx }

func (t migrationTx) Applied(ctx context.Context) ([]int, error) {
	if _, err := t.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// Exec runs a whole file, outside the writer's statement cache.
func (t migrationTx) Exec(ctx context.Context, sql string) error {
	_, err := t.tx.tx.ExecContext(context.WithoutCancel(ctx), sql)
	return err
}

func (t migrationTx) Record(ctx context.Context, m migrations.Migration) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().Unix())
	return err
}

// SchemaVersion returns the highest applied migration (0 for a new file).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}
