package storage

import (
	"context"
	"time"

	"carebridge/internal/idempotency"
)

// Idempotency is idempotency.Engine on either engine. On PostgreSQL the
// rows are what replicas agree by: an insert of a key another transaction
// is inserting waits for it to end, and the row read is locked (FOR
// UPDATE) until the transaction ends. SQLite has one writer, so its write
// transaction alone does both.
type Idempotency struct{ DB DB }

var _ idempotency.Engine = Idempotency{}

func (e Idempotency) InTx(ctx context.Context, fn func(idempotency.Tx) error) error {
	return e.DB.Write(ctx, func(q Querier) error { return fn(idempotencyTx{q}) })
}

func (e Idempotency) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	return e.DB.Exec(ctx, deleteExpiredIdempotencyKeysSQL, Unix(now))
}

// idempotencyTx is idempotency.Tx in a write transaction.
type idempotencyTx struct{ q Querier }

func (t idempotencyTx) InsertKey(ctx context.Context, rec idempotency.Record) (bool, error) {
	n, err := t.q.Exec(ctx, insertIdempotencyKeySQL, rec.UserID, rec.Key, rec.Fingerprint,
		Unix(rec.CreatedAt), Unix(rec.ExpiresAt), NullUnix(rec.LeaseUntil))
	return n > 0, err
}

func (t idempotencyTx) LockKey(ctx context.Context, userID int64, key string) (idempotency.Record, error) {
	return scanIdempotencyRecord(t.q.QueryRow(ctx, lockIdempotencyKeySQL, userID, key))
}

// Key reads on the readers: a request waiting for another's answer looks
// without taking the writer.
func (e Idempotency) Key(ctx context.Context, userID int64, key string) (idempotency.Record, error) {
	return scanIdempotencyRecord(e.DB.QueryRow(ctx, idempotencyKeySQL, userID, key))
}

func scanIdempotencyRecord(row Scanner) (idempotency.Record, error) {
	var (
		r                idempotency.Record
		created, expires int64
		lease, status    nullInt
		body             []byte
	)
	err := row.Scan(&r.UserID, &r.Key, &r.Fingerprint, &created, &expires, &lease, &status, &body)
	if err != nil {
		return idempotency.Record{}, NotFound(err, "There is no such idempotency key.")
	}
	r.CreatedAt, r.ExpiresAt, r.LeaseUntil = FromUnix(created), FromUnix(expires), lease.time()
	if status.ok {
		r.Answer = &idempotency.Answer{Status: int(status.n), Body: body}
	}
	return r, nil
}

func (t idempotencyTx) RestartKey(ctx context.Context, rec idempotency.Record) error {
	n, err := t.q.Exec(ctx, restartIdempotencyKeySQL, rec.Fingerprint, Unix(rec.CreatedAt), Unix(rec.ExpiresAt),
		NullUnix(rec.LeaseUntil), rec.UserID, rec.Key)
	return rowChanged(n, err, "There is no such idempotency key.")
}

func (t idempotencyTx) StoreAnswer(ctx context.Context, userID int64, key string, lease time.Time, a idempotency.Answer, expiresAt time.Time) (bool, error) {
	body := a.Body
	if body == nil {
		body = []byte{} // an empty answer is still an answer, not NULL
	}
	n, err := t.q.Exec(ctx, storeIdempotentAnswerSQL, a.Status, body, Unix(expiresAt), userID, key, Unix(lease))
	return n > 0, err
}

func (t idempotencyTx) DeleteKey(ctx context.Context, userID int64, key string, lease time.Time) (bool, error) {
	n, err := t.q.Exec(ctx, deleteIdempotencyKeySQL, userID, key, Unix(lease))
	return n > 0, err
}
