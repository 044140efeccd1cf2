-- subscriptions/show lists each distinct price of a customer's approved
-- charges, in the order first charged. Settlement keeps that list here, in
-- the transaction that approves a charge, so that the show reads a
-- customer's few prices instead of every charge of theirs (about fifty index
-- entries scattered over the table).
CREATE TABLE netflix_customer_prices (
    operator_id         BIGINT NOT NULL REFERENCES operators (id),
    customer_identifier TEXT   NOT NULL,
    amount_minor        BIGINT NOT NULL,
    currency            TEXT   NOT NULL,
    -- The lowest id of an approved charge at this price: the order.
    first_charge_id     BIGINT NOT NULL,
    PRIMARY KEY (operator_id, customer_identifier, amount_minor, currency)
);

INSERT INTO netflix_customer_prices (operator_id, customer_identifier, amount_minor, currency, first_charge_id)
SELECT operator_id, customer_identifier, amount_minor, currency, min(id)
FROM netflix_charges
WHERE status = 'APPROVED'
GROUP BY operator_id, customer_identifier, amount_minor, currency;

-- The show was the only reader of charges by customer.
DROP INDEX netflix_charges_customer;
