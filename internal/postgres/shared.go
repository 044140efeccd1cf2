package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"carebridge/internal/storage"
)

// sharedDB is storage.DB on the pool: a single statement runs on its own,
// as PostgreSQL commits it.
type sharedDB struct{ db *DB }

func (d sharedDB) QueryRow(ctx context.Context, q storage.SQL, args ...any) storage.Scanner {
	return d.db.pool.QueryRow(ctx, q.Postgres, args...)
}

func (d sharedDB) Query(ctx context.Context, q storage.SQL, fn func(storage.Scanner) error, args ...any) error {
	rows, err := d.db.pool.Query(ctx, q.Postgres, args...)
	return each(rows, err, fn)
}

func (d sharedDB) Exec(ctx context.Context, q storage.SQL, args ...any) (int64, error) {
	return changed(d.db.pool.Exec(ctx, q.Postgres, args...))
}

func (d sharedDB) InsertID(ctx context.Context, q storage.SQL, args ...any) (id int64, err error) {
	err = d.db.pool.QueryRow(ctx, q.Postgres, args...).Scan(&id)
	return id, err
}

func (d sharedDB) Write(ctx context.Context, fn func(storage.Querier) error) error {
	return d.db.tx(ctx, func(tx pgx.Tx) error { return fn(txQuerier{tx}) })
}

func (d sharedDB) UniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == uniqueViolation
}

// txQuerier is storage.Querier in a transaction.
type txQuerier struct{ tx pgx.Tx }

func (q txQuerier) QueryRow(ctx context.Context, query storage.SQL, args ...any) storage.Scanner {
	return q.tx.QueryRow(ctx, query.Postgres, args...)
}

func (q txQuerier) Query(ctx context.Context, query storage.SQL, fn func(storage.Scanner) error, args ...any) error {
	rows, err := q.tx.Query(ctx, query.Postgres, args...)
	return each(rows, err, fn)
}

func (q txQuerier) Exec(ctx context.Context, query storage.SQL, args ...any) (int64, error) {
	return changed(q.tx.Exec(ctx, query.Postgres, args...))
}
