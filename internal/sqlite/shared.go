package sqlite

import (
	"context"

	"carebridge/internal/storage"
)

// sharedDB is storage.DB on the database: reads run on the reader pool's
// prepared statements, writes through the group commit (writeTx).
type sharedDB struct{ db *DB }

func (d sharedDB) QueryRow(ctx context.Context, q storage.SQL, args ...any) storage.Scanner {
	return d.db.readRow(ctx, q.SQLite, args...)
}

func (d sharedDB) Query(ctx context.Context, q storage.SQL, fn func(storage.Scanner) error, args ...any) error {
	rows, err := d.db.readRows(ctx, q.SQLite, args...)
	return each(rows, err, fn)
}

func (d sharedDB) Exec(ctx context.Context, q storage.SQL, args ...any) (n int64, err error) {
	err = d.db.writeTx(ctx, func(tx *wtx) (err error) {
		n, err = txQuerier{tx}.Exec(ctx, q, args...)
		return err
	})
	return n, err
}

func (d sharedDB) InsertID(ctx context.Context, q storage.SQL, args ...any) (id int64, err error) {
	err = d.db.writeTx(ctx, func(tx *wtx) error { return tx.QueryRowContext(ctx, q.SQLite, args...).Scan(&id) })
	return id, err
}

func (d sharedDB) Write(ctx context.Context, fn func(storage.Querier) error) error {
	return d.db.writeTx(ctx, func(tx *wtx) error { return fn(txQuerier{tx}) })
}

func (d sharedDB) UniqueViolation(err error) bool { return isUniqueViolation(err) }

// txQuerier is storage.Querier in a write transaction.
type txQuerier struct{ tx *wtx }

func (q txQuerier) QueryRow(ctx context.Context, query storage.SQL, args ...any) storage.Scanner {
	return q.tx.QueryRowContext(ctx, query.SQLite, args...)
}

func (q txQuerier) Query(ctx context.Context, query storage.SQL, fn func(storage.Scanner) error, args ...any) error {
	rows, err := q.tx.QueryContext(ctx, query.SQLite, args...)
	return each(rows, err, fn)
}

func (q txQuerier) Exec(ctx context.Context, query storage.SQL, args ...any) (int64, error) {
	return q.exec(ctx, query.SQLite, args...)
}

// exec runs one of this engine's own statements and tells how many rows it
// changed.
func (q txQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
