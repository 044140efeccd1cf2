package storage

// The care plane's statements both dialects read alike. The search by
// identifier prefix compares bytes, which each dialect says its own way:
// it is in each engine's queries.go, reading CustomerSummaryColumns.
var (
	setTokenExpirySQL = shared(`UPDATE netflix_subscriptions SET netflix_token_expires_at = ? WHERE id = ?`)

	customerLatestSQL = shared(`SELECT ` + CustomerSummaryColumns + ` FROM netflix_subscriptions
		WHERE operator_id = ? AND customer_identifier = ? ORDER BY id DESC LIMIT 1`)
	// hasChargesSQL reads the index netflix_charges_customer.
	hasChargesSQL           = shared(`SELECT EXISTS (SELECT 1 FROM netflix_charges WHERE operator_id = ? AND customer_identifier = ?)`)
	subscriptionCustomerSQL = shared(`SELECT customer_identifier FROM netflix_subscriptions WHERE id = ? AND operator_id = ?`)
	chargeCustomerSQL       = shared(`SELECT customer_identifier FROM netflix_charges WHERE id = ? AND operator_id = ?`)

	// customerSubscriptionsSQL reads the contact objects as JSON text,
	// which PostgreSQL keeps as jsonb.
	customerSubscriptionsSQL = shared(`SELECT ` + SubscriptionColumns + `, channel, customer_first_name, customer_last_name,
		CAST(customer_address AS TEXT), CAST(customer_email AS TEXT), CAST(customer_phone AS TEXT)
		FROM netflix_subscriptions WHERE operator_id = ? AND customer_identifier = ? ORDER BY id DESC`)
	customerRedemptionsSQL = shared(`SELECT r.subscription_id,
		p.id, p.operator_id, p.code, p.name, p.description, p.effective_from, p.expires_on
		FROM netflix_redemptions r JOIN netflix_promotions p ON p.id = r.promotion_id
		WHERE r.operator_id = ? AND r.customer_identifier = ? ORDER BY r.id`)
	// customerApprovedPricesSQL reads the customer's charges with the
	// index netflix_charges_customer; netflix_customer_prices keeps no
	// subscription.
	customerApprovedPricesSQL = shared(`SELECT subscription_id, amount_minor, currency FROM netflix_charges
		WHERE operator_id = ? AND customer_identifier = ? AND status = 'APPROVED' AND subscription_id IS NOT NULL
		GROUP BY subscription_id, amount_minor, currency ORDER BY min(id)`)
	// customerChargesSQL: the acknowledgement of the current status, if
	// any, gives its reference number, '' for none; no acknowledgement
	// gives NULL.
	customerChargesSQL = shared(`SELECT ` + ChargeColumns + `,
		(SELECT coalesce(a.reference_number, '') FROM netflix_charge_acknowledgements a
		 WHERE a.charge_id = c.id AND a.status = c.status)
		FROM netflix_charges c WHERE c.operator_id = ? AND c.customer_identifier = ? ORDER BY c.id DESC LIMIT ?`)
	// chargeCountsSQL reads every charge of the operator, so its cost
	// grows with them: one row per status the operator has charges in,
	// with its count and the lowest created_at among them.
	chargeCountsSQL = shared(`SELECT status, count(*), min(created_at) FROM netflix_charges
		WHERE operator_id = ? GROUP BY status`)
	customerEventsSQL = shared(`SELECT ` + EventColumns + `
		FROM netflix_subscription_events e JOIN netflix_subscriptions s ON s.id = e.subscription_id
		WHERE s.operator_id = ? AND s.customer_identifier = ? ORDER BY e.id`)
)
