package sqlite_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/sqlite"
	"carebridge/internal/storetest"
	"carebridge/internal/testdb"
)

// open returns a migrated database in a fresh file.
func open(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db := openAt(tb, testdb.SQLitePath(tb))
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// openAt opens the database file at path, closed when the test ends.
func openAt(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// benchOperator creates organisation and operator "bench" for a benchmark.
func benchOperator(b *testing.B, db *sqlite.DB, at time.Time) (carebridge.Organisation, carebridge.Operator) {
	b.Helper()
	tenancy := sqlite.NewTenancyStore(db)
	org, err := tenancy.CreateOrganisation(context.Background(), "bench", at)
	if err != nil {
		b.Fatal(err)
	}
	op, err := tenancy.CreateOperator(context.Background(), carebridge.Operator{OrganisationID: org.ID, Name: "bench", CreatedAt: at})
	if err != nil {
		b.Fatal(err)
	}
	return org, op
}

// stores are the contract's stores on the file at path; db is open on it.
func stores(db *sqlite.DB, path string) storetest.Stores {
	return storetest.Stores{
		Tenancy:      sqlite.NewTenancyStore(db),
		Netflix:      sqlite.NewNetflixStore(db),
		OCP:          sqlite.NewOCPStore(db),
		Deliveries:   sqlite.NewDeliveries(db),
		Idempotency:  sqlite.NewIdempotencyStore(db),
		FactoryReset: db.FactoryReset,

		Again: func(t *testing.T) storetest.Stores { return stores(openAt(t, path), path) },
		SQL: func(t *testing.T) *sql.DB {
			t.Helper()
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			return raw
		},
		Crash: func(t *testing.T) storetest.Crash { return storetest.Crash{Where: path} },
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		path := testdb.SQLitePath(t)
		db := openAt(t, path)
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return stores(db, path)
	})
}

// TestCrashHelper is the child process of the contract's crash test.
func TestCrashHelper(t *testing.T) {
	storetest.CrashHelper(t, func(t *testing.T, path string) netflix.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return sqlite.NewNetflixStore(db)
	})
}
