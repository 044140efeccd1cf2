package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"carebridge/internal/events"
	"carebridge/internal/idempotency"
	"carebridge/internal/metrics"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/postgres"
	"carebridge/internal/sqlite"
	"carebridge/internal/webhook"
)

// Stores is one storage engine's implementation of every store interface.
type Stores struct {
	Tenancy Tenancy
	Netflix netflix.Store
	OCP     ocp.Store
	// Deliveries is the queue of webhook deliveries the Netflix plugin's
	// outbox fills.
	Deliveries webhook.Store
	// Idempotency keeps the CRM.COM face's idempotency keys.
	Idempotency idempotency.Engine
	// FactoryReset wipes the plugins' data in one transaction, one audit
	// record per plugin: all of them or none.
	FactoryReset func(ctx context.Context, actor string, at time.Time, callsigns []string) error
	Bus          events.Bus // nil for a single-process engine (SQLite)
	Ping         func(context.Context) error
	Close        func() error
	// Instrument, when set, connects the engine's own metrics to m: its
	// connection pools, and SQLite's group commit or PostgreSQL's bus.
	Instrument func(m *metrics.Metrics)
}

// DefaultDatabase is the SQLite file used when no --db is given.
const DefaultDatabase = "data/carebridge.db"

// OpenStores opens the database a URL names and brings its schema up to
// date: postgres://… for PostgreSQL; "sqlite:PATH", "file:PATH" or a plain
// file path for SQLite.
func OpenStores(ctx context.Context, url string) (*Stores, error) {
	if url == "" {
		url = DefaultDatabase
	}
	if isPostgres(url) {
		return openPostgres(ctx, url)
	}
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &Stores{
		Tenancy:      sqlite.NewTenancyStore(db),
		Netflix:      sqlite.NewNetflixStore(db),
		OCP:          sqlite.NewOCPStore(db),
		Deliveries:   sqlite.NewDeliveries(db),
		Idempotency:  sqlite.NewIdempotencyStore(db),
		FactoryReset: db.FactoryReset,
		Ping:         db.Ping,
		Close:        db.Close,
		Instrument:   func(m *metrics.Metrics) { instrumentSQLite(db, m) },
	}, nil
}

func openPostgres(ctx context.Context, url string) (*Stores, error) {
	db, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("database %s: cannot reach PostgreSQL: %w", redactURL(url), err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	bus, err := postgres.NewBus(ctx, db, slog.Default())
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Stores{
		Tenancy:      postgres.NewTenancyStore(db),
		Netflix:      postgres.NewNetflixStore(db),
		OCP:          postgres.NewOCPStore(db),
		Deliveries:   postgres.NewDeliveries(db),
		Idempotency:  postgres.NewIdempotencyStore(db),
		FactoryReset: db.FactoryReset,
		Bus:          bus,
		Ping:         db.Ping,
		Close:        db.Close,
		Instrument:   func(m *metrics.Metrics) { instrumentPostgres(db, bus, m) },
	}, nil
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// sqlitePath is the file a SQLite database URL names.
func sqlitePath(url string) (string, error) {
	if url == "" {
		url = DefaultDatabase
	}
	if strings.Contains(url, "://") {
		return "", fmt.Errorf("database %q: unknown scheme; use a file path, sqlite:PATH or postgres://", redactURL(url))
	}
	return strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:"), nil
}

// Backup writes a consistent copy of the SQLite database a URL names to
// dest, while servers go on using it (see sqlite.DB.Backup). The database
// must exist: a backup never creates one. PostgreSQL has its own tools,
// and the answer says so.
func Backup(ctx context.Context, url, dest string) error {
	if isPostgres(url) {
		return errors.New("backup copies SQLite databases; for PostgreSQL use pg_dump (for example pg_dump --format=custom --file=carebridge.dump 'postgres://…'), see README.md, Backups")
	}
	path, err := sqlitePath(url)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	return errors.Join(db.Backup(ctx, dest), db.Close())
}

// redactURL hides a password in a connection string before it is printed.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, hostpart, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":REDACTED@" + hostpart
	}
	return u
}
