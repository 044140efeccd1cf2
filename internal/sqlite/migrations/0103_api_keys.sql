-- Web API keys: an api user logs in to the CRM.COM face with a key instead
-- of its password. Only the SHA-256 of a key is kept; its label names it
-- among its user's keys. A revoked key is deleted.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT    NOT NULL,
    key_hash     BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (user_id, label)
);

-- The key a session was opened with, NULL for a password login; revoking
-- the key ends its sessions.
ALTER TABLE sessions ADD COLUMN api_key_id INTEGER;

CREATE INDEX sessions_api_key ON sessions (api_key_id) WHERE api_key_id IS NOT NULL;
