-- The secret a partner signs its charge reports with, per operator. It is
-- kept in clear because the server must compute the same HMAC; it is
-- platform data, never wiped by a plugin reset.
ALTER TABLE operators ADD COLUMN partner_secret TEXT NOT NULL DEFAULT '';
UPDATE operators SET partner_secret = lower(hex(randomblob(32))) WHERE partner_secret = '';

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

CREATE INDEX netflix_charges_customer
    ON netflix_charges (operator_id, customer_identifier, status);

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

-- Reference numbers are unique per operator; the database holds the rule.
CREATE UNIQUE INDEX netflix_charge_acknowledgements_reference
    ON netflix_charge_acknowledgements (operator_id, reference_number)
    WHERE reference_number IS NOT NULL;

-- Signatures of accepted partner reports, so that a replayed request inside
-- the five-minute window is refused. Older rows are purged.
CREATE TABLE netflix_partner_signatures (
    operator_id INTEGER NOT NULL REFERENCES operators (id),
    signature   TEXT    NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (operator_id, signature)
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
