package testserver

import (
	"context"
	"testing"

	"carebridge/internal/sqlite"
	"carebridge/internal/testdb"
)

// SQLite is a migrated database in a fresh file, closed when the test
// ends: for the services' tests that need a real store but no server.
func SQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), testdb.SQLitePath(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}
