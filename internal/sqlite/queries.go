package sqlite

import "carebridge/internal/storage"

// SQLite's own statements: where its dialect says what PostgreSQL says
// otherwise. A list of values travels as one JSON array that json_each
// expands; booleans are 0 and 1. The statements both read alike are in
// internal/storage.

// Netflix charges.
const (
	// insertChargesSQL inserts a batch (?3, chargeRow objects) with one
	// statement, which skips the partner ids stored before: a row that met
	// the unique key would still draw a number.
	insertChargesSQL = `INSERT INTO netflix_charges
		(` + storage.NewChargeColumns + `)
		SELECT j.value ->> 'id', ?1, j.value ->> 'p', j.value ->> 'c', j.value ->> 'a', j.value ->> 'cur',
		       j.value ->> 'la', j.value ->> 'lc', j.value ->> 'pt', j.value ->> 'r', 'PENDING', ?2, nullif(?4, '')
		FROM json_each(?3) j
		WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = ?1 AND x.partner_charge_id = j.value ->> 'p')
		ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
		RETURNING partner_charge_id, id`

	// intakeEventsSQL records the intake event of each charge id of ?3.
	intakeEventsSQL = `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		SELECT value, NULL, 'PENDING', ?, ? FROM json_each(?)`

	storedChargesSQL = `SELECT ` + storage.StoredChargeColumns + ` FROM netflix_charges
		WHERE operator_id = ? AND partner_charge_id IN (SELECT value FROM json_each(?))`

	// listUnacknowledgedSQL reads one range of the partial index
	// netflix_charges_unacknowledged, whose condition it repeats.
	listUnacknowledgedSQL = `SELECT ` + storage.ChargeColumns + `, listed_pending FROM netflix_charges
		WHERE operator_id = ? AND (status <> 'PENDING') = ? AND unacknowledged = 1
		ORDER BY received_on, id LIMIT ? OFFSET ?`

	markListedPendingSQL = `UPDATE netflix_charges SET listed_pending = 1
		WHERE id IN (SELECT value FROM json_each(?)) AND NOT listed_pending`
)

// showSubscriptionSQL is subscriptions/show's read in one statement: one
// statement reads one snapshot without a transaction and crosses the
// driver once (it was three statements in a read transaction, half of the
// request's time). Beside the latest subscription it returns as JSON
// arrays the customer's redemptions since ?3 with their promotions and the
// distinct prices of their approved charges (netflix_customer_prices, kept
// by settlement). The few rows are ordered and deduplicated in Go: in SQL
// each GROUP BY or ordered aggregate built a temporary b-tree, a large
// part of the statement.
const showSubscriptionSQL = `SELECT ` + storage.SubscriptionColumns + `,
	  (SELECT json_group_array(json_object('redemption', r.id, 'id', p.id, 'code', p.code, 'name', p.name,
	                                   'description', p.description, 'effective_from', p.effective_from, 'expires_on', p.expires_on))
	     FROM netflix_redemptions r JOIN netflix_promotions p ON p.id = r.promotion_id
	     WHERE r.operator_id = ?1 AND r.customer_identifier = ?2 AND r.redeemed_at >= ?3),
	  (SELECT json_group_array(json_object('first', first_charge_id, 'minor', amount_minor, 'currency', currency))
	     FROM netflix_customer_prices WHERE operator_id = ?1 AND customer_identifier = ?2)
	FROM netflix_subscriptions s
	WHERE s.operator_id = ?1 AND s.customer_identifier = ?2 ORDER BY s.id DESC LIMIT 1`

// customersInRangeSQL finds the customers whose identifier is in
// [?2, ?3), each by its latest subscription, in the index
// netflix_subscriptions_customer; SQLite compares text as bytes.
const customersInRangeSQL = `SELECT ` + storage.CustomerSummaryColumns + ` FROM netflix_subscriptions s
	WHERE s.operator_id = ?1 AND s.customer_identifier >= ?2 AND s.customer_identifier < ?3
	  AND s.id = (SELECT max(x.id) FROM netflix_subscriptions x
	              WHERE x.operator_id = ?1 AND x.customer_identifier = s.customer_identifier)
	ORDER BY s.customer_identifier LIMIT ?4`

// Netflix devices: the ESNs travel as one JSON array, so a 1000-device
// call is two statements, not 1000.
const (
	// claimDevicesSQL: WHERE true, as SQLite's parser needs it between
	// SELECT and ON CONFLICT.
	claimDevicesSQL = `INSERT INTO netflix_devices (esn, operator_id, registered_at, registered_by)
		SELECT value, ?, ?, ? FROM json_each(?) WHERE true
		ON CONFLICT (esn) DO NOTHING`

	// devicesHeldElsewhereSQL: json_each is the outer loop (ORDER BY j.key
	// keeps the planner there), so each ESN probes the primary key once.
	devicesHeldElsewhereSQL = `SELECT j.value FROM json_each(?) j
		JOIN netflix_devices d ON d.esn = j.value
		WHERE d.operator_id <> ? ORDER BY j.key`

	releaseDevicesSQL = `DELETE FROM netflix_devices
		WHERE operator_id = ? AND esn IN (SELECT value FROM json_each(?))
		RETURNING esn`
)

// OCP applications and grants.
const (
	applicationExistsSQL = `SELECT EXISTS (SELECT 1 FROM ocp_applications WHERE app_id = ?)`

	// insertGrantsSQL: WHERE true, as in claimDevicesSQL.
	insertGrantsSQL = `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT ?, value FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`

	deleteGrantsSQL = `DELETE FROM ocp_application_customers
		WHERE app_id = ? AND customer_id IN (SELECT value FROM json_each(?)) RETURNING customer_id`
)

// Schema migrations.
const (
	hasSchemaMigrationsSQL = `SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')`
)
