package storage

// The outbox and its deliveries (netflix_webhook_events,
// netflix_webhook_deliveries).
var (
	endpointsTakingSQL   = shared(`SELECT id, events FROM webhook_endpoints WHERE operator_id = ? ORDER BY id`)
	insertOutboxEventSQL = shared(`INSERT INTO netflix_webhook_events (operator_id, type, customer, data, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	insertDeliverySQL = shared(`INSERT INTO netflix_webhook_deliveries
		(event_id, endpoint_id, customer, next_attempt_at, retry_until, created_at) VALUES (?, ?, ?, ?, ?, ?)`)

	// claimDeliveries claims the due pending deliveries that no earlier
	// event's delivery to the same endpoint and customer is waiting for:
	// deliveries are made in event order per endpoint and customer.
	// PostgreSQL skips the rows another replica is claiming.
	claimDeliveriesSQL = SQL{
		SQLite:   `UPDATE netflix_webhook_deliveries SET claimed_until = ?1, attempts = attempts + 1 WHERE id IN (` + dueDeliveries + `) RETURNING id`,
		Postgres: Rebind(`UPDATE netflix_webhook_deliveries SET claimed_until = ?1, attempts = attempts + 1 WHERE id IN (` + dueDeliveries + ` FOR UPDATE SKIP LOCKED) RETURNING id`),
	}
	claimedAttemptSQL = shared(`SELECT d.id, d.attempts, d.retry_until, e.id, e.operator_id, e.type, e.customer, e.data, e.created_at,
			p.id, p.url, p.secret
		FROM netflix_webhook_deliveries d
		JOIN netflix_webhook_events e ON e.id = d.event_id
		JOIN webhook_endpoints p ON p.id = d.endpoint_id
		WHERE d.id = ?`)
	recordAttemptSQL = shared(`UPDATE netflix_webhook_deliveries
		SET state = ?, next_attempt_at = ?, claimed_until = NULL, last_status = ?, last_error = ?, ended_at = ?
		WHERE id = ? AND attempts = ? AND state = 'pending'`)
	purgeDeliveriesSQL = shared(`DELETE FROM netflix_webhook_deliveries WHERE state <> 'pending' AND ended_at < ?`)
	purgeEventsSQL     = shared(`DELETE FROM netflix_webhook_events WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM netflix_webhook_deliveries d WHERE d.event_id = netflix_webhook_events.id)`)
)

// dueDeliveries selects the ids of deliveries claimDeliveriesSQL claims;
// ?2 is now, ?3 the most to claim.
const dueDeliveries = `SELECT d.id FROM netflix_webhook_deliveries d
	WHERE d.state = 'pending' AND d.next_attempt_at <= ?2 AND (d.claimed_until IS NULL OR d.claimed_until <= ?2)
	AND NOT EXISTS (SELECT 1 FROM netflix_webhook_deliveries b
		WHERE b.endpoint_id = d.endpoint_id AND b.customer = d.customer AND b.state = 'pending' AND b.event_id < d.event_id)
	ORDER BY d.next_attempt_at, d.id LIMIT ?3`
