// Package testserver is the harness the faces' and the server's tests
// share: stores on a database of the test's own, a server on them with the
// configuration the test asks for, served over HTTP, and the demo data.
// Only tests import it.
package testserver

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
)

// OpenStores opens the stores of the database db names (a SQLite path or
// a PostgreSQL URL), closed when the test ends.
func OpenStores(tb testing.TB, db string) *server.Stores {
	tb.Helper()
	s, err := server.OpenStores(context.Background(), db)
	if err != nil {
		tb.Fatalf("OpenStores(%q): %v", db, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Server is a real server on a real database.
type Server struct {
	App    *server.Server
	Stores *server.Stores
	// DB names the database: a SQLite path or a PostgreSQL URL.
	DB string
	// Config is what the server was built with, after the changes.
	Config server.Config
	// HTTP serves App.Handler once Serve (or Start) has run.
	HTTP *httptest.Server
}

// New builds a server on a fresh SQLite file with cfg, adjusted by each
// change in turn.
func New(tb testing.TB, cfg server.Config, change ...func(*server.Config)) *Server {
	tb.Helper()
	return NewOn(tb, testdb.SQLitePath(tb), cfg, change...)
}

// NewOn is New on the database db names: testdb.PostgresURL(tb) for a
// fresh PostgreSQL schema, or a database another server uses.
func NewOn(tb testing.TB, db string, cfg server.Config, change ...func(*server.Config)) *Server {
	tb.Helper()
	for _, f := range change {
		f(&cfg)
	}
	stores := OpenStores(tb, db)
	app, err := server.New(stores, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &Server{App: app, Stores: stores, DB: db, Config: cfg}
}

// Start is New, served over HTTP until the test ends.
func Start(tb testing.TB, cfg server.Config, change ...func(*server.Config)) *Server {
	tb.Helper()
	s := New(tb, cfg, change...)
	s.Serve(tb)
	return s
}

// Serve serves the server over HTTP until the test ends.
func (s *Server) Serve(tb testing.TB) *httptest.Server {
	tb.Helper()
	s.HTTP = httptest.NewServer(s.App.Handler)
	tb.Cleanup(s.HTTP.Close)
	return s.HTTP
}

// Demo is the demo's services on the server.
func (s *Server) Demo() demo.Services {
	return demo.Services{Tenancy: s.Stores.Tenancy, Netflix: s.App.Netflix, OCP: s.App.OCP}
}

// LoadDemo loads the demo data, created at at, and returns its operator;
// the test fails unless the data was loaded.
func (s *Server) LoadDemo(tb testing.TB, at time.Time) carebridge.Operator {
	tb.Helper()
	op, loaded, err := demo.Load(context.Background(), s.Demo(), at)
	if err != nil || !loaded {
		tb.Fatalf("demo.Load = %v, %v", loaded, err)
	}
	return op
}
