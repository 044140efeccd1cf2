-- AUTOINCREMENT, for every table here: an id is never given again, even
-- after a factory reset or a purge emptied the table, so that a receiver
-- skipping the events it has handled by id never skips a new one.

-- Signed webhooks. An operator's endpoints are platform data, like its
-- partner secret: a factory reset keeps them. secret signs each delivery
-- (HMAC-SHA256), so it is kept as given; events is the comma-separated
-- list of event types the endpoint takes.
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    events      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE INDEX webhook_endpoints_operator ON webhook_endpoints (operator_id);

-- The outbox: each event is written in the transaction of the change it
-- reports, and only when one of the operator's endpoints takes its type.
-- data is the JSON of the delivery body's data member.
CREATE TABLE netflix_webhook_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id INTEGER NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    type        TEXT    NOT NULL,
    customer    TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- One delivery of an event to each endpoint taking it. state is pending
-- until a 2xx answer (delivered) or a day of retries (failed). An attempt
-- is claimed by one process until claimed_until; attempts counts the
-- attempts claimed, and fences the outcome of one that outlived its claim.
-- customer is the event's, so that deliveries are made in event order per
-- endpoint and customer. A delivery is retried until retry_until: a day
-- after its event, or after it was redelivered.
CREATE TABLE netflix_webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL REFERENCES netflix_webhook_events (id) ON DELETE CASCADE,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    customer        TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    retry_until     INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX netflix_webhook_deliveries_due ON netflix_webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX netflix_webhook_deliveries_order ON netflix_webhook_deliveries (endpoint_id, customer, event_id) WHERE state = 'pending';
CREATE INDEX netflix_webhook_deliveries_endpoint ON netflix_webhook_deliveries (endpoint_id, id);
