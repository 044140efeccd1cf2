-- subscriptions/show lists a customer's distinct approved prices. A
-- customer's charges lie scattered over the whole table (they arrive
-- between everyone else's), so an index that also holds the price (and the
-- id, for the order) lets the query run as an index-only scan.
DROP INDEX netflix_charges_customer;
CREATE INDEX netflix_charges_customer
    ON netflix_charges (operator_id, customer_identifier, status) INCLUDE (amount_minor, currency, id);
