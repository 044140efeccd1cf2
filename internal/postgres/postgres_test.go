package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"carebridge/internal/netflix"
	"carebridge/internal/postgres"
	"carebridge/internal/storetest"
	"carebridge/internal/testdb"
)

// open returns a migrated database in a fresh schema of the test database;
// the test is skipped when there is none.
func open(tb testing.TB) *postgres.DB {
	tb.Helper()
	db := openURL(tb, testdb.PostgresURL(tb))
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// openURL opens a pool of its own on url, closed when the test ends.
func openURL(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// stores are the contract's stores on the schema url names; db is open
// on it.
func stores(db *postgres.DB, url string) storetest.Stores {
	return storetest.Stores{
		Tenancy:      postgres.NewTenancyStore(db),
		Netflix:      postgres.NewNetflixStore(db),
		OCP:          postgres.NewOCPStore(db),
		Deliveries:   postgres.NewDeliveries(db),
		Idempotency:  postgres.NewIdempotencyStore(db),
		FactoryReset: db.FactoryReset,

		Again: func(t *testing.T) storetest.Stores { return stores(openURL(t, url), url) },
		SQL: func(t *testing.T) *sql.DB {
			raw := stdlib.OpenDBFromPool(db.Pool())
			t.Cleanup(func() { raw.Close() })
			return raw
		},
		Crash: func(t *testing.T) storetest.Crash { return crash(t, db, url) },
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		url := testdb.PostgresURL(t)
		db := openURL(t, url)
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return stores(db, url)
	})
}

// TestCrashHelper is the child process of the contract's crash test.
func TestCrashHelper(t *testing.T) {
	storetest.CrashHelper(t, func(t *testing.T, url string) netflix.Store {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return postgres.NewNetflixStore(db)
	})
}
