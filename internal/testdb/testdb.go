// Package testdb gives each test a database of its own: a file in the
// test's temporary directory for SQLite, a fresh schema of the test
// database for PostgreSQL. Only tests import it, so the binary never links
// the testing package.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the database the PostgreSQL tests use. .ci/run sets it
// to a throw-away database; without it those tests are skipped, visibly.
const PostgresEnv = "CAREBRIDGE_TEST_POSTGRES"

// SQLitePath is a database file that does not exist yet, in a directory
// removed when the test ends.
func SQLitePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "cb.db")
}

// PostgresURL creates a fresh, empty schema in the test database and
// returns a URL whose connections work in it, so several pools (or
// processes) can share it while tests run side by side without seeing each
// other. The schema is dropped when the test ends; the test is skipped
// when PostgresEnv is unset.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip("PostgreSQL tests skipped: set " + PostgresEnv + " (for example postgres://postgres@127.0.0.1:5432/carebridge_test?sslmode=disable)")
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close(ctx)
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close(context.Background())
	})
	return WithParam(tb, base, "search_path", schema)
}

// WithParam sets a query parameter of a connection URL: every connection
// of a pool opened on the result carries it.
func WithParam(tb testing.TB, raw, key, value string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// Each runs test once per engine, side by side: on a SQLite file, and on a
// fresh PostgreSQL schema (skipped, visibly, without PostgresEnv).
func Each(t *testing.T, test func(t *testing.T, db string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); test(t, SQLitePath(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); test(t, PostgresURL(t)) })
}
