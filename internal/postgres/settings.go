package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/storage"
)

// Setting returns the value saved under key; ENOTFOUND when none is.
func (s *TenancyStore) Setting(ctx context.Context, key string) (string, error) {
	v, err := storage.ScanString(s.db.pool.QueryRow(ctx, storage.Setting.Postgres, key))
	return v, notFound(err, storage.SettingNotSaved, key)
}

// SettleSetting saves value under key unless a value is there already and
// returns the value that holds. The insert waits for a replica inserting
// the same key; the read that follows sees whichever row was committed.
func (s *TenancyStore) SettleSetting(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, storage.InsertNewSetting.Postgres, key, value); err != nil {
			return err
		}
		return tx.QueryRow(ctx, storage.Setting.Postgres, key).Scan(&v)
	})
	return v, err
}

// WithMigrationLock runs fn holding the advisory lock Migrate takes. The
// lock is held by a connection of its own, outside the pool, so that fn may
// use every connection of a small pool; closing that connection ends the
// lock, also when fn panics or the process dies.
func (s *TenancyStore) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	conn, err := pgx.ConnectConfig(ctx, s.db.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, migrationLockSQL, int64(migrationLock)); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	return fn(ctx)
}
