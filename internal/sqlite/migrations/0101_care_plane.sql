-- The care plane: roles for users and admin tokens, care sessions, reasons
-- in the subscription history, and what the care methods look up.

-- api: the billing system on the CRM.COM face (every user before roles);
-- care and supervisor: care agents on the JSON-RPC plane. A disabled user
-- can neither log in nor use a session opened before.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'api'
    CHECK (role IN ('api', 'care', 'supervisor'));
ALTER TABLE users ADD COLUMN disabled_at INTEGER;

-- Where a session's token is accepted: the CRM.COM face or the care plane.
ALTER TABLE sessions ADD COLUMN audience TEXT NOT NULL DEFAULT 'crm'
    CHECK (audience IN ('crm', 'care'));

CREATE INDEX sessions_user ON sessions (user_id);

-- Every admin token before roles could do everything: admin.
ALTER TABLE admin_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('ops', 'admin'));
ALTER TABLE admin_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE admin_tokens ADD COLUMN last_used_at INTEGER;

-- Counts the changes that end or narrow a credential (a user disabled or
-- given another role, an admin token revoked), whichever process made
-- them, so that a server notices within a second and checks its open
-- WebSockets again.
CREATE TABLE credential_changes (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO credential_changes (id, generation) VALUES (1, 0);

-- Why a care agent or settlement changed a subscription; NULL for the
-- CRM.COM face, which gives no reason.
ALTER TABLE netflix_subscription_events ADD COLUMN reason TEXT;

-- A customer's charges, newest first, and whether an identifier is known.
CREATE INDEX netflix_charges_customer ON netflix_charges (operator_id, customer_identifier, id);
