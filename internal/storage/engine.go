package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/migrations"
)

// MigrationTx is the part of migrations.Tx both engines share: the record
// of applied migrations. Each engine's migrationTx adds Exec.
type MigrationTx struct{ Tx Querier }

func (t MigrationTx) Applied(ctx context.Context) ([]int, error) {
	if _, err := t.Tx.Exec(ctx, createSchemaMigrationsSQL); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	return collect(ctx, t.Tx, appliedMigrationsSQL, nil, ScanVersion)
}

func (t MigrationTx) Record(ctx context.Context, m migrations.Migration) error {
	_, err := t.Tx.Exec(ctx, recordMigrationSQL, m.Version, m.Name, time.Now().Unix())
	return err
}

// ResetTx is reset.Tx in a transaction of either engine.
type ResetTx struct{ Tx Querier }

// DeleteAll takes a name from the reset package's fixed list, never from
// a caller's input; it is quoted as an identifier all the same.
func (t ResetTx) DeleteAll(ctx context.Context, table string) error {
	q := `DELETE FROM "` + strings.ReplaceAll(table, `"`, `""`) + `"`
	_, err := t.Tx.Exec(ctx, SQL{SQLite: q, Postgres: q})
	return err
}

func (t ResetTx) Audit(ctx context.Context, e carebridge.AuditEntry) error {
	_, err := t.Tx.Exec(ctx, insertAuditSQL, Unix(e.At), e.Actor, e.Action, e.Subject)
	return err
}
