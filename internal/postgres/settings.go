package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

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
