package postgres

import "carebridge/internal/storage"

// PostgreSQL's own statements: where its dialect says what SQLite says
// otherwise. A list of values travels as one array parameter; booleans are
// true and false; replicas run transactions side by side, so the reads
// that promise a hold lock their rows. The statements both read alike are
// in internal/storage.

// Netflix charges.
const (
	// ingestSQL inserts a batch, passed as one array per column, in one
	// statement, and records the intake event of each charge it inserted.
	//
	// A partner charge id stored before is left out before any number is
	// drawn, so that retries do not burn numbers; ON CONFLICT DO NOTHING
	// covers the id another replica inserts at the same moment (the insert
	// waits for that transaction and then skips the row). A charge with a
	// fixed number (example data) keeps it; the others draw from the
	// identity sequence in batch order.
	ingestSQL = `WITH batch AS (
	SELECT * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[],
	                     $8::bigint[], $9::text[], $10::bigint[], $11::bigint[])
		WITH ORDINALITY AS b (id, p, c, a, cur, la, lc, pt, r, n)
), fresh AS (
	SELECT b.* FROM batch b
	WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = $1 AND x.partner_charge_id = b.p)
), ins AS (
	INSERT INTO netflix_charges
		(` + storage.NewChargeColumns + `)
	SELECT coalesce(f.id, nextval(pg_get_serial_sequence('netflix_charges', 'id')::regclass)),
	       $1, f.p, f.c, f.a, f.cur, f.la, f.lc, f.pt, f.r, 'PENDING', $2, nullif($12, '')
	FROM fresh f ORDER BY f.n
	ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
	RETURNING id, partner_charge_id
), events AS (
	INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
	SELECT id, NULL, 'PENDING', $13, $2 FROM ins ORDER BY id
)
SELECT partner_charge_id, id FROM ins`

	// lockChargeNumbersSQL keeps every other transaction from inserting
	// charges (and so drawing numbers) while fixed numbers and the
	// sequence are reconciled.
	lockChargeNumbersSQL = `LOCK TABLE netflix_charges IN SHARE ROW EXCLUSIVE MODE`

	// advanceChargeSequenceSQL moves the identity sequence of
	// netflix_charges past the highest stored number, and never back: a
	// sequence behind the highest number would hand out a fixed number
	// again, and one moved back (after a factory reset emptied the table)
	// would reuse numbers.
	advanceChargeSequenceSQL = `SELECT setval(s.seq, GREATEST((SELECT max(id) FROM netflix_charges), pg_sequence_last_value(s.seq), 1))
	FROM (SELECT pg_get_serial_sequence('netflix_charges', 'id')::regclass AS seq) s`

	storedChargesSQL = `SELECT ` + storage.StoredChargeColumns + ` FROM netflix_charges
		WHERE operator_id = $1 AND partner_charge_id = ANY ($2::text[])`

	// listUnacknowledgedSQL reads one range of the partial index
	// netflix_charges_unacknowledged, whose condition it repeats.
	listUnacknowledgedSQL = `SELECT ` + storage.ChargeColumns + `, listed_pending FROM netflix_charges
		WHERE operator_id = $1 AND (status <> 'PENDING') = $2 AND unacknowledged
		ORDER BY received_on, id LIMIT $3 OFFSET $4`

	markListedPendingSQL = `UPDATE netflix_charges SET listed_pending = true
		WHERE id = ANY ($1::bigint[]) AND NOT listed_pending`

	lockChargesSQL = `SELECT id FROM netflix_charges WHERE id = ANY ($1::bigint[]) AND operator_id = $2
		ORDER BY id FOR UPDATE`
)

var (
	// ackStateSQL: the state read stays the state until the transaction
	// ends, whether or not LockCharges took the row first.
	ackStateSQL = storage.AckState.Postgres + ` FOR UPDATE`

	// claimPendingSQL: the processors of several replicas claim disjoint
	// batches side by side.
	claimPendingSQL = storage.ClaimPending.Postgres + ` FOR UPDATE SKIP LOCKED`

	lockLatestSubscriptionSQL = storage.LatestSubscription.Suffix(` FOR UPDATE`)
)

const newerSubscriptionSQL = `SELECT EXISTS (SELECT 1 FROM netflix_subscriptions
	WHERE operator_id = $1 AND customer_identifier = $2 AND id > $3)`

// showSubscriptionSQL is subscriptions/show's read in one statement (one
// snapshot and one round trip; it was a transaction of five). Beside the
// latest subscription it returns, as parallel arrays, each promotion the
// customer redeemed since $3 once, in the order first redeemed, and each
// distinct price of the customer's approved charges, in the order first
// charged (netflix_customer_prices, kept by settlement).
const showSubscriptionSQL = `SELECT ` + storage.SubscriptionColumns + `,
	  pr.ids, pr.codes, pr.names, pr.descriptions, pr.froms, pr.expiries, ch.minors, ch.currencies
	FROM netflix_subscriptions s
	CROSS JOIN (SELECT array_agg(p.id ORDER BY r.first) AS ids, array_agg(p.code ORDER BY r.first) AS codes,
	                   array_agg(p.name ORDER BY r.first) AS names, array_agg(p.description ORDER BY r.first) AS descriptions,
	                   array_agg(p.effective_from ORDER BY r.first) AS froms, array_agg(p.expires_on ORDER BY r.first) AS expiries
	            FROM netflix_promotions p
	            JOIN (SELECT promotion_id, min(id) AS first FROM netflix_redemptions
	                  WHERE operator_id = $1 AND customer_identifier = $2 AND redeemed_at >= $3
	                  GROUP BY promotion_id) r ON r.promotion_id = p.id) pr
	CROSS JOIN (SELECT array_agg(amount_minor ORDER BY first_charge_id) AS minors,
	                   array_agg(currency ORDER BY first_charge_id) AS currencies
	            FROM netflix_customer_prices WHERE operator_id = $1 AND customer_identifier = $2) ch
	WHERE s.operator_id = $1 AND s.customer_identifier = $2 ORDER BY s.id DESC LIMIT 1`

// customersInRangeSQL finds the customers whose identifier is in
// [$2, $3), each by its latest subscription. It compares and orders with
// COLLATE "C", as bytes whatever the database's collation, which reads
// the index netflix_subscriptions_customer_bytes in order.
const customersInRangeSQL = `SELECT ` + storage.CustomerSummaryColumns + ` FROM netflix_subscriptions s
	WHERE s.operator_id = $1 AND s.customer_identifier COLLATE "C" >= $2 AND s.customer_identifier COLLATE "C" < $3
	  AND s.id = (SELECT max(x.id) FROM netflix_subscriptions x
	              WHERE x.operator_id = $1 AND x.customer_identifier = s.customer_identifier)
	ORDER BY s.customer_identifier COLLATE "C" LIMIT $4`

// Netflix devices: the ESNs travel as one text[] that unnest expands, so a
// 1000-device call is two statements, not 1000.
const (
	// claimDevicesSQL inserts in ESN order, so two overlapping claims
	// take their locks in one order and cannot deadlock.
	claimDevicesSQL = `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
		SELECT e, $2, $3, $4 FROM unnest($1::text[]) AS e ORDER BY e
		ON CONFLICT (esn) DO NOTHING`

	devicesHeldElsewhereSQL = `SELECT d.esn FROM netflix_devices d
		WHERE d.esn = ANY ($1::text[]) AND d.operator_id <> $2`

	// releaseDevicesSQL locks the rows in ESN order first, so two
	// overlapping releases cannot deadlock.
	releaseDevicesSQL = `DELETE FROM netflix_devices WHERE esn IN (
			SELECT esn FROM netflix_devices WHERE operator_id = $1 AND esn = ANY ($2::text[])
			ORDER BY esn FOR UPDATE)
		AND operator_id = $1
		RETURNING esn`
)

// OCP applications and grants.
const (
	lockGrantsSQL = `LOCK TABLE ocp_application_customers IN ROW EXCLUSIVE MODE`

	lockApplicationSQL = `SELECT 1 FROM ocp_applications WHERE app_id = $1 FOR KEY SHARE`

	insertGrantsSQL = `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT $1, c FROM unnest($2::bigint[]) AS c ON CONFLICT DO NOTHING`

	deleteGrantsSQL = `DELETE FROM ocp_application_customers
		WHERE app_id = $1 AND customer_id = ANY($2::bigint[]) RETURNING customer_id`
)

// Schema migrations.
const (
	hasSchemaMigrationsSQL = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	migrationXactLockSQL   = `SELECT pg_advisory_xact_lock($1)`
	migrationLockSQL       = `SELECT pg_advisory_lock($1)`
)
