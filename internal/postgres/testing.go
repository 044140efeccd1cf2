package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestURLEnv names the database the PostgreSQL tests use. .ci/run sets it
// to a throw-away database; without it those tests are skipped, visibly.
const TestURLEnv = "CAREBRIDGE_TEST_POSTGRES"

// OpenTest returns a migrated database in a fresh schema of the test
// database, dropped when the test ends; several tests run side by side
// without seeing each other. It skips the test when TestURLEnv is unset.
func OpenTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), TestURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestURL creates a fresh, empty schema in the test database and returns
// a URL whose connections work in it (for several servers on one
// database). The schema is dropped when the test ends; the test is skipped
// when TestURLEnv is unset.
func TestURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(TestURLEnv)
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set " + TestURLEnv + " (for example postgres://postgres@127.0.0.1:5432/carebridge_test?sslmode=disable)")
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close(context.Background())
	})
	return WithSearchPath(base, schema)
}

// WithSearchPath adds a search_path to a connection URL, so that every
// connection of a pool works in that schema.
func WithSearchPath(base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
