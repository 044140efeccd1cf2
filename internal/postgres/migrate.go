package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/migrations"
	"carebridge/internal/storage"
)

//go:embed migrations/*.sql migrations/legacy/*.sql
var migrationFiles embed.FS

func loadMigrations() (migrations.Plan, error) {
	p, err := migrations.Load(migrationFiles, "migrations")
	if err != nil {
		return p, fmt.Errorf("postgres: %w", err)
	}
	return p, nil
}

// migrationLock is the advisory lock key that serialises replicas starting
// at once: one migrates, the others wait and then find nothing to do.
const migrationLock = 0x63617265_62726964 // "carebrid"

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
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// migrator is the migrations.Engine of a PostgreSQL database. Its lock is
// a transaction-scoped advisory lock: replicas starting at once wait for
// one another, and the lock ends with the transaction whatever happens to
// the connection.
type migrator struct{ db *DB }

func (m migrator) Locked(ctx context.Context, fn func(migrations.Tx) error) error {
	return m.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrationXactLockSQL, int64(migrationLock)); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		return fn(migrationTx{storage.MigrationTx{Tx: txQuerier{tx}}, tx})
	})
}

// migrationTx is migrations.Tx in the migration's transaction: the record
// of applied migrations both engines share (storage.MigrationTx), and
// Exec.
type migrationTx struct {
	storage.MigrationTx
	tx pgx.Tx
}

func (t migrationTx) Exec(ctx context.Context, sql string) error {
	_, err := t.tx.Exec(ctx, sql)
	return err
}

// SchemaVersion returns the highest applied migration (0 for a new
// database).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := db.pool.QueryRow(ctx, hasSchemaMigrationsSQL).Scan(&exists); err != nil || !exists {
		return 0, err
	}
	return storage.ScanVersion(db.pool.QueryRow(ctx, storage.SchemaVersion.Postgres))
}
