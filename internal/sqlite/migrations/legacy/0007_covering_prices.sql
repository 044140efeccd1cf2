-- subscriptions/show lists a customer's distinct approved prices. A
-- customer's charges lie scattered over the whole table (they arrive
-- between everyone else's), so an index that also holds the price lets the
-- query read no table page at all.
DROP INDEX netflix_charges_customer;
CREATE INDEX netflix_charges_customer
    ON netflix_charges (operator_id, customer_identifier, status, amount_minor, currency);
