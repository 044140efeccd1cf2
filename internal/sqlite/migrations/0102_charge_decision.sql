-- Who decides an operator's PENDING charges: auto, the charge processor
-- by the subscription's state as soon as they arrive; operator, the
-- operator with charges/accept and charges/decline, the processor
-- settling by the subscription's state only the charges still PENDING
-- decision_deadline_seconds after they arrived.
ALTER TABLE operators ADD COLUMN charge_decision TEXT NOT NULL DEFAULT 'auto'
    CHECK (charge_decision IN ('auto', 'operator'));
ALTER TABLE operators ADD COLUMN decision_deadline_seconds INTEGER NOT NULL DEFAULT 259200
    CHECK (decision_deadline_seconds > 0);
