-- Idempotent retries of the CRM.COM face's POST methods: the first
-- completed answer to a user's Idempotency-Key, kept for a day. While the
-- first request runs, status and body are NULL and lease_until says when
-- another request may take the key over (the first one's process died).
-- fingerprint is the SHA-256 of the method's path and body: the same key
-- with another request is refused.
CREATE TABLE netflix_idempotency_keys (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    fingerprint BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    lease_until INTEGER,
    status      INTEGER,
    body        BLOB,
    PRIMARY KEY (user_id, key)
);

CREATE INDEX netflix_idempotency_keys_expiry ON netflix_idempotency_keys (expires_at);
