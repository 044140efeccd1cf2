-- Admin tokens for the JSON-RPC plane; only the SHA-256 of each is kept.
CREATE TABLE admin_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    token_hash BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Platform audit log: operations on whole plugins (factory resets), with
-- time and actor. Plugin resets never delete it.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL
);
