package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
)

// TestMetricsOfSQLite: a server on SQLite reports its group commits and
// both connection pools.
func TestMetricsOfSQLite(t *testing.T) {
	t.Parallel()
	srv, stores := newServer(t, server.Config{})
	for i := range 5 {
		if err := stores.Tenancy.CreateAdminToken(t.Context(), carebridge.AdminToken{Name: "t" + string(rune('a'+i)), Role: carebridge.RoleAdmin, CreatedAt: time.Now()}, auth.HashToken("token-"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	samples := parseScrape(t, scrape(t, ts.URL+"/metrics"))
	if got, _ := find(samples, "carebridge_sqlite_group_commit_writes_sum", nil); got < 5 {
		t.Errorf("writes committed by the group commit: %v, want at least the 5 made", got)
	}
	if got, _ := find(samples, "carebridge_sqlite_group_commit_duration_seconds_count", nil); got < 1 {
		t.Errorf("group commits timed: %v, want at least 1", got)
	}
	if got, ok := find(samples, "carebridge_db_pool_max_connections", map[string]string{"pool": "sqlite_writer"}); !ok || got != 1 {
		t.Errorf("the writer pool's size: %v (present %v), want 1", got, ok)
	}
	if got, ok := find(samples, "carebridge_db_pool_max_connections", map[string]string{"pool": "sqlite_reader"}); !ok || got < 4 {
		t.Errorf("the reader pool's size: %v (present %v), want at least 4", got, ok)
	}
	for _, state := range []string{"in_use", "idle"} {
		if _, ok := find(samples, "carebridge_db_pool_connections", map[string]string{"pool": "sqlite_reader", "state": state}); !ok {
			t.Errorf("carebridge_db_pool_connections of the reader pool, %s: missing", state)
		}
	}
	for _, name := range []string{"carebridge_bus_listening", "carebridge_bus_reconnects_total"} {
		if _, ok := find(samples, name, nil); ok {
			t.Errorf("%s on a SQLite server, which has no bus", name)
		}
	}
}

// TestMetricsOfPostgres: a replica on PostgreSQL reports its pgx pool and
// its event bus, whose listening connection, once cut, is counted as a
// reconnect and listens again.
func TestMetricsOfPostgres(t *testing.T) {
	t.Parallel()
	dbURL := testdb.PostgresURL(t)
	r := startReplica(t, "A", dbURL, time.Now)
	metric := func(name string, labels map[string]string) (float64, bool) {
		return find(parseScrape(t, scrape(t, r.srv.URL+"/metrics")), name, labels)
	}
	eventually(t, "the bus listens", func() bool { v, _ := metric("carebridge_bus_listening", nil); return v == 1 })
	samples := parseScrape(t, scrape(t, r.srv.URL+"/metrics"))
	if got, ok := find(samples, "carebridge_db_pool_max_connections", map[string]string{"pool": "postgres"}); !ok || got < 1 {
		t.Errorf("the pgx pool's size: %v (present %v)", got, ok)
	}
	if _, ok := find(samples, "carebridge_db_pool_connections", map[string]string{"pool": "postgres", "state": "idle"}); !ok {
		t.Error("the pgx pool's idle connections: missing")
	}
	if got, ok := find(samples, "carebridge_bus_reconnects_total", nil); !ok || got != 0 {
		t.Errorf("reconnects before any loss: %v (present %v), want 0", got, ok)
	}
	for _, name := range []string{"carebridge_sqlite_group_commit_writes_count", "carebridge_sqlite_group_commit_duration_seconds_count"} {
		if _, ok := find(samples, name, nil); ok {
			t.Errorf("%s on a PostgreSQL server", name)
		}
	}

	// Cut the listening connection: its last statement is the LISTEN of
	// this schema's channel, which no other test listens to.
	channel := strings.TrimPrefix(fmt.Sprint(r.stores.Bus), "postgres LISTEN ")
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var cut int
	err = pool.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query = 'LISTEN "' || $1 || '"'`, channel).Scan(&cut)
	if err != nil || cut != 1 {
		t.Fatalf("terminate the listener of %s: %d terminated, %v", channel, cut, err)
	}
	eventually(t, "the reconnect counted", func() bool { v, _ := metric("carebridge_bus_reconnects_total", nil); return v == 1 })
	eventually(t, "the bus listens again", func() bool { v, _ := metric("carebridge_bus_listening", nil); return v == 1 })
}
