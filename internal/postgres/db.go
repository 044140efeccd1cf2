// Package postgres is the storage engine for more than one server process:
// every replica is stateless and shares one PostgreSQL database. It
// implements the same store interfaces as the sqlite package, with SQL
// written for PostgreSQL and the same method names, and passes the same
// contract suite (internal/storetest).
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"carebridge"
	"carebridge/internal/storage"
)

// DB is an open carebridge database on PostgreSQL.
type DB struct {
	pool *pgxpool.Pool
	url  string
}

// Open connects a pool to the database a postgres:// URL names. Pool size
// and other settings come from the URL (pool_max_conns=…); see README.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool, url: url}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() error { db.pool.Close(); return nil }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Pool gives the pool to the parts of the engine that listen for
// notifications.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// tx runs fn in a transaction (READ COMMITTED; rows that must not change
// under it are locked with FOR UPDATE) and commits when it returns nil. A
// transaction PostgreSQL rolled back to break a deadlock between replicas
// answers EUNAVAILABLE: nothing was done, and the caller may try again.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return retryable(pgx.BeginFunc(ctx, db.pool, fn))
}

// Error codes of PostgreSQL that the stores map.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// retryable turns a deadlock or serialization failure into EUNAVAILABLE.
func retryable(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == deadlockDetected || pe.Code == serializationFailure) {
		return carebridge.Errorf(carebridge.EUNAVAILABLE, "The database is busy; try again.")
	}
	return err
}

// collect reads every row of a query with scan, appended to dst (see
// storage.Append), and closes the rows.
func collect[T any](rows pgx.Rows, err error, dst []T, scan func(storage.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storage.Append(dst, rows, scan)
}

// each calls fn with every row of a query, and closes the rows.
func each(rows pgx.Rows, err error, fn func(storage.Scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	return storage.Each(rows, fn)
}

// changed is the number of rows a statement changed.
func changed(tag pgconn.CommandTag, err error) (int64, error) {
	return tag.RowsAffected(), err
}
