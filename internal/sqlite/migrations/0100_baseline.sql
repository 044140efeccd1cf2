-- The whole schema of the release that began the common numbering, as the
-- legacy migrations 1 to 10 left it. A new database starts here; one of an
-- earlier release reaches it through those migrations instead.

-- Platform: tenants, operators, users, login sessions.
CREATE TABLE organisations (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- partner_secret is the secret a partner signs its charge reports with. It
-- is kept in clear because the server must compute the same HMAC; it is
-- platform data, never wiped by a plugin reset.
CREATE TABLE operators (
    id               INTEGER PRIMARY KEY,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id),
    name             TEXT    NOT NULL,
    alternative_code TEXT,
    created_at       INTEGER NOT NULL,
    partner_secret   TEXT    NOT NULL DEFAULT '',
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

-- Plugin state (Activated or not), kept across restarts.
CREATE TABLE plugin_states (
    callsign TEXT    PRIMARY KEY,
    active   INTEGER NOT NULL CHECK (active IN (0, 1))
) WITHOUT ROWID;

-- Facts about the database itself, decided once and read alike by every
-- process: whether it holds the demo data, for one.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

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

-- Charges reported by the partner. Money is exact: integer minor units of
-- an ISO-4217 currency. AUTOINCREMENT: charge numbers (I00002662) derive
-- from the id and are never handed out twice.
CREATE TABLE netflix_charges (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id           INTEGER NOT NULL REFERENCES operators (id),
    partner_charge_id     TEXT    NOT NULL,
    customer_identifier   TEXT    NOT NULL,
    amount_minor          INTEGER NOT NULL,
    currency              TEXT    NOT NULL,
    local_amount_minor    INTEGER,
    local_currency        TEXT,
    paid_through_date     INTEGER,
    received_on           INTEGER NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'DECLINED', 'BAD_REQUEST', 'REJECTED')),
    set_as_approved_on    INTEGER,
    set_as_declined_on    INTEGER,
    set_as_bad_request_on INTEGER,
    set_as_rejected_on    INTEGER,
    subscription_id       INTEGER REFERENCES netflix_subscriptions (id),
    -- 1 while the current status has not been acknowledged by the operator:
    -- what charges/list reads, kept in the row so the list is one index range.
    unacknowledged        INTEGER NOT NULL DEFAULT 1 CHECK (unacknowledged IN (0, 1)),
    created_at            INTEGER NOT NULL,
    -- 1 once charges/list has shown the charge as PENDING. An acknowledgement
    -- that arrives after the charge was settled then covers the PENDING
    -- status the operator saw, not the settled one it has not seen: the
    -- settled status shows under PROCESSED until acknowledged in turn, so a
    -- charge can never be approved and acknowledged unseen (and so never
    -- billed).
    listed_pending        INTEGER NOT NULL DEFAULT 0,
    -- The signed report that created the charge, so that the same report
    -- sent again (a client retrying after a timeout) is answered as it was
    -- the first time.
    report                TEXT,
    UNIQUE (operator_id, partner_charge_id),
    CHECK ((local_amount_minor IS NULL) = (local_currency IS NULL))
);

-- charges/list reads one range of this index: an operator's unacknowledged
-- charges of one class (PENDING, or processed), oldest first.
CREATE INDEX netflix_charges_unacknowledged
    ON netflix_charges (operator_id, (status <> 'PENDING'), received_on, id)
    WHERE unacknowledged = 1;

CREATE INDEX netflix_charges_pending
    ON netflix_charges (id)
    WHERE status = 'PENDING';

-- One acknowledgement per charge and status: acknowledging PENDING does not
-- acknowledge the later APPROVED.
CREATE TABLE netflix_charge_acknowledgements (
    charge_id        INTEGER NOT NULL REFERENCES netflix_charges (id),
    status           TEXT    NOT NULL,
    operator_id      INTEGER NOT NULL REFERENCES operators (id),
    reference_number TEXT,
    actor_user_id    INTEGER NOT NULL,
    acknowledged_at  INTEGER NOT NULL,
    PRIMARY KEY (charge_id, status)
);

-- A reference number belongs to one charge of an operator; acknowledging
-- the same charge's next status may reuse it.
CREATE TABLE netflix_reference_numbers (
    operator_id      INTEGER NOT NULL REFERENCES operators (id),
    reference_number TEXT    NOT NULL,
    charge_id        INTEGER NOT NULL REFERENCES netflix_charges (id),
    PRIMARY KEY (operator_id, reference_number)
) WITHOUT ROWID;

-- Devices registered to operators. An ESN belongs to one operator at most.
CREATE TABLE netflix_devices (
    esn           TEXT    PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES operators (id),
    registered_at INTEGER NOT NULL,
    registered_by INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX netflix_devices_operator ON netflix_devices (operator_id);

-- Status history of each charge; settlement writes exactly one row per
-- charge it settles.
CREATE TABLE netflix_charge_events (
    id          INTEGER PRIMARY KEY,
    charge_id   INTEGER NOT NULL REFERENCES netflix_charges (id),
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          INTEGER NOT NULL
);

CREATE INDEX netflix_charge_events_charge ON netflix_charge_events (charge_id, id);

-- subscriptions/show lists each distinct price of a customer's approved
-- charges, in the order first charged. Settlement keeps that list here, in
-- the transaction that approves a charge, so that the show reads a
-- customer's few prices instead of every charge of theirs (about fifty index
-- entries scattered over the table).
CREATE TABLE netflix_customer_prices (
    operator_id         INTEGER NOT NULL REFERENCES operators (id),
    customer_identifier TEXT    NOT NULL,
    amount_minor        INTEGER NOT NULL,
    currency            TEXT    NOT NULL,
    -- The lowest id of an approved charge at this price: the order.
    first_charge_id     INTEGER NOT NULL,
    PRIMARY KEY (operator_id, customer_identifier, amount_minor, currency)
) WITHOUT ROWID;

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
