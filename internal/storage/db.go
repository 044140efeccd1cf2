package storage

import (
	"context"
	"database/sql"
	"errors"

	"carebridge"
)

// Querier runs statements, each engine in its own dialect's text of a
// SQL. A transaction is one; so is a database, where QueryRow and Query
// read (on SQLite, on the reader pool, which never writes) and Exec runs
// one statement in a transaction of its own.
type Querier interface {
	QueryRow(ctx context.Context, q SQL, args ...any) Scanner
	// Query calls fn with each row, and closes the rows.
	Query(ctx context.Context, q SQL, fn func(Scanner) error, args ...any) error
	// Exec tells how many rows the statement changed.
	Exec(ctx context.Context, q SQL, args ...any) (int64, error)
}

// DB is an engine's database as the shared stores use it.
type DB interface {
	Querier
	// InsertID runs an INSERT … RETURNING id in a transaction of its own.
	InsertID(ctx context.Context, q SQL, args ...any) (int64, error)
	// Write runs fn in a write transaction.
	Write(ctx context.Context, fn func(Querier) error) error
	// UniqueViolation reports an insert that met a unique key.
	UniqueViolation(err error) bool
}

// collect appends every row of a query, read with scan, to dst.
func collect[T any](ctx context.Context, q Querier, query SQL, dst []T, scan func(Scanner) (T, error), args ...any) ([]T, error) {
	err := q.Query(ctx, query, func(row Scanner) error {
		v, err := scan(row)
		dst = append(dst, v)
		return err
	}, args...)
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// NoRows reports that a single-row read found none; pgx's error wraps
// database/sql's.
func NoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// NotFound turns a single-row read that found none into a caller-facing
// ENOTFOUND.
func NotFound(err error, format string, args ...any) error {
	if NoRows(err) {
		return carebridge.Errorf(carebridge.ENOTFOUND, format, args...)
	}
	return err
}

// conflict turns an insert that met a unique key into a caller-facing
// ECONFLICT.
func conflict(db DB, err error, format string, args ...any) error {
	if db.UniqueViolation(err) {
		return carebridge.Errorf(carebridge.ECONFLICT, format, args...)
	}
	return err
}

// rowChanged is nil when a statement changed a row (n > 0), err when it
// failed, and ENOTFOUND with the message when it changed none.
func rowChanged(n int64, err error, format string, args ...any) error {
	if err == nil && n == 0 {
		return carebridge.Errorf(carebridge.ENOTFOUND, format, args...)
	}
	return err
}
