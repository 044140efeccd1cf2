package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"carebridge/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func loadMigrations() ([]migrations.Migration, error) {
	ms, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// Migrate applies every migration not yet applied, each in its own write
// transaction. The write lock (BEGIN IMMEDIATE) serialises processes that
// start at once; each re-reads the applied version inside its transaction.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return db.migrate(ctx, ms)
}

// migrate applies the migrations ms (tests stop at an earlier version).
func (db *DB) migrate(ctx context.Context, ms []migrations.Migration) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	// A database migrated by a newer carebridge has tables this binary
	// does not know; running on it could corrupt them.
	if v, err := db.SchemaVersion(ctx); err != nil {
		return err
	} else if v > len(ms) {
		return fmt.Errorf("sqlite: the database is at schema version %d, newer than this carebridge knows (%d); run a newer carebridge", v, len(ms))
	}
	for _, m := range ms {
		err := db.writeTx(ctx, func(tx *wtx) error {
			var applied int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&applied); err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
	}
	return nil
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
