package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"carebridge/internal/postgres"
	"carebridge/internal/testdb"
)

// WithMigrationLock holds the very lock Migrate takes: a replica migrating
// meanwhile waits until fn has returned.
func TestMigrationWaitsForMigrationLock(t *testing.T) {
	t.Parallel()
	holder := postgres.NewTenancyStore(open(t))

	// The migrating replica is told apart from other tests' sessions by
	// its application name.
	var b [6]byte
	rand.Read(b[:])
	app := "carebridge-locktest-" + hex.EncodeToString(b[:])
	other, err := postgres.Open(context.Background(), testdb.WithParam(t, testdb.PostgresURL(t), "application_name", app))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	observer, err := postgres.Open(context.Background(), testdb.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { observer.Close() })

	migrated := make(chan error, 1)
	err = holder.WithMigrationLock(t.Context(), func(ctx context.Context) error {
		go func() { migrated <- other.Migrate(context.Background()) }()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var waiting bool
			if err := observer.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l
				JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = $1)`, app).Scan(&waiting); err != nil {
				return err
			}
			if waiting {
				break
			}
			select {
			case err := <-migrated:
				t.Fatalf("Migrate returned (%v) while the migration lock was held", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("Migrate never waited for the migration lock")
			}
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-migrated:
		if err != nil {
			t.Fatalf("Migrate after the lock was released: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Migrate did not finish after the lock was released")
	}
}

// The lock is held outside the pool: fn may use the pool's only
// connection.
func TestMigrationLockWithAOneConnectionPool(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(context.Background(), testdb.WithParam(t, testdb.PostgresURL(t), "pool_max_conns", "1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := postgres.NewTenancyStore(db)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = s.WithMigrationLock(ctx, func(ctx context.Context) error {
		_, err := s.SettleSetting(ctx, "demo", "loaded")
		return err
	})
	if err != nil {
		t.Fatalf("WithMigrationLock on a pool of one connection: %v", err)
	}
}
