package storage

// Webhook administration: endpoints, and the deliveries staff look at
// and send again.
var (
	insertWebhookEndpointSQL = shared(`INSERT INTO webhook_endpoints (operator_id, url, secret, events, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	webhookEndpointsSQL = shared(`SELECT ` + webhookEndpointColumns + `
		FROM webhook_endpoints WHERE operator_id = ? ORDER BY id`)
	deleteWebhookEndpointSQL = shared(`DELETE FROM webhook_endpoints WHERE operator_id = ? AND id = ?`)

	// The deliveries of an operator's endpoints, newest first.
	webhookDeliveriesSQL = shared(webhookDeliveriesFrom + `
		WHERE p.operator_id = ? ORDER BY d.id DESC LIMIT ?`)
	failedWebhookDeliveriesSQL = shared(webhookDeliveriesFrom + `
		WHERE p.operator_id = ? AND d.state = 'failed' ORDER BY d.id DESC LIMIT ?`)
	webhookDeliverySQL = shared(webhookDeliveriesFrom + ` WHERE d.id = ?`)

	// redeliverWebhookSQL's ?1 is now, ?2 now plus the retry period, ?3
	// the delivery's id. attempts is left alone: it keeps counting, and an
	// attempt already claimed may still record its outcome, which is an
	// outcome of this same delivery.
	redeliverWebhookSQL = shared(`UPDATE netflix_webhook_deliveries
		SET state = 'pending', next_attempt_at = ?1, retry_until = ?2, claimed_until = NULL, ended_at = NULL
		WHERE id = ?3`)
	// redeliverOperatorWebhookSQL is redeliverWebhookSQL for a delivery
	// of one of the operator ?4's endpoints.
	redeliverOperatorWebhookSQL = shared(`UPDATE netflix_webhook_deliveries
		SET state = 'pending', next_attempt_at = ?1, retry_until = ?2, claimed_until = NULL, ended_at = NULL
		WHERE id = ?3 AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE operator_id = ?4)`)
)

const webhookEndpointColumns = `id, operator_id, url, events, created_at`

// webhookDeliveriesFrom selects what ScanWebhookDelivery reads.
const webhookDeliveriesFrom = `SELECT d.id, d.event_id, d.endpoint_id, p.operator_id, e.type, d.customer, p.url,
		d.state, d.attempts, d.next_attempt_at, d.retry_until, d.last_status, d.last_error, d.created_at, d.ended_at
	FROM netflix_webhook_deliveries d
	JOIN netflix_webhook_events e ON e.id = d.event_id
	JOIN webhook_endpoints p ON p.id = d.endpoint_id`
