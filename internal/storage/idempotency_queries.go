package storage

// The statements of idempotency keys (netflix_idempotency_keys).

const idempotencyColumns = `user_id, key, fingerprint, created_at, expires_at, lease_until, status, body`

var (
	insertIdempotencyKeySQL = shared(`INSERT INTO netflix_idempotency_keys (user_id, key, fingerprint, created_at, expires_at, lease_until)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING`)
	idempotencyKeySQL = shared(`SELECT ` + idempotencyColumns + ` FROM netflix_idempotency_keys WHERE user_id = ? AND key = ?`)
	// lockIdempotencyKeySQL needs no lock on SQLite, whose one writer
	// already keeps the row from changing under the transaction.
	lockIdempotencyKeySQL = func() SQL {
		q := `SELECT ` + idempotencyColumns + ` FROM netflix_idempotency_keys WHERE user_id = ? AND key = ?`
		return SQL{SQLite: q, Postgres: Rebind(q) + ` FOR UPDATE`}
	}()
	restartIdempotencyKeySQL = shared(`UPDATE netflix_idempotency_keys
		SET fingerprint = ?, created_at = ?, expires_at = ?, lease_until = ?, status = NULL, body = NULL
		WHERE user_id = ? AND key = ?`)
	storeIdempotentAnswerSQL = shared(`UPDATE netflix_idempotency_keys
		SET status = ?, body = ?, expires_at = ?, lease_until = NULL
		WHERE user_id = ? AND key = ? AND lease_until = ? AND status IS NULL`)
	deleteIdempotencyKeySQL = shared(`DELETE FROM netflix_idempotency_keys
		WHERE user_id = ? AND key = ? AND lease_until = ? AND status IS NULL`)
	deleteExpiredIdempotencyKeysSQL = shared(`DELETE FROM netflix_idempotency_keys WHERE expires_at <= ?`)
)
