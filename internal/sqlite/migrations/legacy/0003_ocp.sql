-- OCP plugin: customers with their profile, applications (API consumers)
-- with hashed client secrets, the customers each may read, and hashed
-- access tokens.
CREATE TABLE ocp_customers (
    id                       INTEGER PRIMARY KEY,
    nsid                     INTEGER NOT NULL,
    name                     TEXT    NOT NULL,
    email                    TEXT,
    enrollment_level         TEXT    NOT NULL DEFAULT 'None' CHECK (enrollment_level IN ('None', 'Base', 'Premium')),
    can_view_ip              INTEGER NOT NULL DEFAULT 0,
    can_access_ip            INTEGER NOT NULL DEFAULT 0,
    is_rms                   INTEGER NOT NULL DEFAULT 0,
    ocp_services             TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    device_subset_start_time INTEGER NOT NULL DEFAULT 0,
    updated_at               INTEGER NOT NULL
);

CREATE TABLE ocp_applications (
    app_id             INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    client_id          TEXT    NOT NULL UNIQUE,
    client_secret_hash TEXT    NOT NULL,
    created_at         INTEGER NOT NULL
);

-- Grants may name customers that are not (yet) on record: such an id is
-- permitted and answers 404 until the customer is imported.
CREATE TABLE ocp_application_customers (
    app_id      INTEGER NOT NULL REFERENCES ocp_applications (app_id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (app_id, customer_id)
) WITHOUT ROWID;

CREATE TABLE ocp_tokens (
    token_hash BLOB    PRIMARY KEY,
    app_id     INTEGER NOT NULL REFERENCES ocp_applications (app_id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX ocp_tokens_expires_at ON ocp_tokens (expires_at);
