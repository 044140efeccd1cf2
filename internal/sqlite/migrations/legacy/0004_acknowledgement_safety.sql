-- 1 once charges/list has shown the charge as PENDING. An acknowledgement
-- that arrives after the charge was settled then covers the PENDING status
-- the operator saw, not the settled one it has not seen: the settled
-- status shows under PROCESSED until acknowledged in turn, so a charge can
-- never be approved and acknowledged unseen (and so never billed).
ALTER TABLE netflix_charges ADD COLUMN listed_pending INTEGER NOT NULL DEFAULT 0;

-- A reference number belongs to one charge of an operator; acknowledging
-- the same charge's next status may reuse it.
CREATE TABLE netflix_reference_numbers (
    operator_id      INTEGER NOT NULL REFERENCES operators (id),
    reference_number TEXT    NOT NULL,
    charge_id        INTEGER NOT NULL REFERENCES netflix_charges (id),
    PRIMARY KEY (operator_id, reference_number)
) WITHOUT ROWID;

INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
    SELECT operator_id, reference_number, min(charge_id) FROM netflix_charge_acknowledgements
    WHERE reference_number IS NOT NULL GROUP BY operator_id, reference_number;

DROP INDEX netflix_charge_acknowledgements_reference;
