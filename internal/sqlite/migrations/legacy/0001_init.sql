-- Platform: tenants, operators, users, login sessions.
CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE operators (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    name             TEXT    NOT NULL,
    alternative_code TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (organisation_id, name),
    UNIQUE (organisation_id, alternative_code),
    UNIQUE (id, organisation_id)
);

-- A user's operator must belong to the user's organisation: the composite
-- foreign key makes a cross-tenant user impossible to store.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    operator_id     INTEGER NOT NULL,
    username        TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (organisation_id, username),
    FOREIGN KEY (operator_id, organisation_id) REFERENCES operators (id, organisation_id)
);

-- Only the SHA-256 of a token is kept.
CREATE TABLE sessions (
    token_hash  BLOB    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    released_at INTEGER
) WITHOUT ROWID;

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Netflix plugin.
CREATE TABLE netflix_promotions (
    id             INTEGER PRIMARY KEY,
    operator_id    INTEGER NOT NULL REFERENCES operators (id),
    code           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    description    TEXT,
    effective_from INTEGER NOT NULL,
    expires_on     INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (operator_id, code)
);

-- AUTOINCREMENT: subscription numbers are derived from the id and are
-- printed on the operator's side, so an id is never handed out twice, not
-- even after the rows are deleted by a factory reset.
CREATE TABLE netflix_subscriptions (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id              INTEGER NOT NULL REFERENCES operators (id),
    customer_identifier      TEXT    NOT NULL,
    life_cycle_state         TEXT    NOT NULL CHECK (life_cycle_state IN ('EFFECTIVE', 'NOT_EFFECTIVE', 'CANCELLED')),
    netflix_state            TEXT    NOT NULL CHECK (netflix_state IN ('EFFECTIVE', 'NOT_EFFECTIVE')),
    channel                  TEXT,
    customer_first_name      TEXT,
    customer_last_name       TEXT,
    customer_address         TEXT, -- JSON, as validated
    customer_email           TEXT, -- JSON, as validated
    customer_phone           TEXT, -- JSON, as validated
    promotion_id             INTEGER REFERENCES netflix_promotions (id),
    netflix_token_expires_at INTEGER,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);

-- One subscription per customer that is not CANCELLED, held by the database.
CREATE UNIQUE INDEX netflix_subscriptions_one_live
    ON netflix_subscriptions (operator_id, customer_identifier)
    WHERE life_cycle_state <> 'CANCELLED';

CREATE INDEX netflix_subscriptions_customer
    ON netflix_subscriptions (operator_id, customer_identifier, id);

CREATE TABLE netflix_redemptions (
    id                  INTEGER PRIMARY KEY,
    operator_id         INTEGER NOT NULL REFERENCES operators (id),
    customer_identifier TEXT    NOT NULL,
    promotion_id        INTEGER NOT NULL REFERENCES netflix_promotions (id),
    subscription_id     INTEGER NOT NULL REFERENCES netflix_subscriptions (id),
    redeemed_at         INTEGER NOT NULL
);

CREATE INDEX netflix_redemptions_customer
    ON netflix_redemptions (operator_id, customer_identifier, redeemed_at);

-- Audit trail: every transition with time and actor. The actor's name is
-- copied so the record outlives the user.
CREATE TABLE netflix_subscription_events (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES netflix_subscriptions (id),
    action          TEXT    NOT NULL,
    from_state      TEXT,
    to_state        TEXT    NOT NULL,
    actor_user_id   INTEGER NOT NULL,
    actor_username  TEXT    NOT NULL,
    at              INTEGER NOT NULL
);

CREATE INDEX netflix_subscription_events_subscription
    ON netflix_subscription_events (subscription_id, id);
