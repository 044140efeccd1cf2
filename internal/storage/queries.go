package storage

import (
	"carebridge"
	"carebridge/internal/netflix"
)

// The statements both dialects read alike. Booleans are written TRUE and
// FALSE, which SQLite reads as 1 and 0; quoted text holds no ?. The few
// exported ones are those an engine runs its own way or adds a clause to.

// Tenancy and settings.
var (
	insertOrganisationSQL = shared(`INSERT INTO organisations (name, created_at) VALUES (?, ?) RETURNING id`)
	organisationByNameSQL = shared(`SELECT id, name, created_at FROM organisations WHERE name = ?`)
	hasOrganisationsSQL   = shared(`SELECT EXISTS (SELECT 1 FROM organisations)`)

	insertOperatorSQL = shared(`INSERT INTO operators (organisation_id, name, alternative_code, partner_secret, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	operatorByNameSQL            = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND name = ?`)
	operatorByIDSQL              = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND id = ?`)
	operatorByAlternativeCodeSQL = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND alternative_code = ?`)
	partnerSecretSQL             = shared(`SELECT partner_secret FROM operators WHERE id = ?`)
	setPartnerSecretSQL          = shared(`UPDATE operators SET partner_secret = ? WHERE id = ?`)
	setChargeDecisionSQL         = shared(`UPDATE operators SET charge_decision = ?, decision_deadline_seconds = ? WHERE id = ?`)
	chargeDecisionSQL            = shared(`SELECT charge_decision, decision_deadline_seconds FROM operators WHERE id = ?`)

	insertUserSQL = shared(`INSERT INTO users (organisation_id, operator_id, username, password_hash, role, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	userForLoginSQL = shared(`SELECT u.id, u.organisation_id, u.operator_id, u.username, u.password_hash, u.role, u.created_at
		FROM users u JOIN organisations o ON o.id = u.organisation_id
		WHERE o.name = ? AND u.username = ? AND u.disabled_at IS NULL`)
	userByNameSQL = shared(`SELECT id, organisation_id, operator_id, username, password_hash, role, created_at
		FROM users WHERE organisation_id = ? AND username = ?`)
	setUserRoleSQL = shared(`UPDATE users SET role = ? WHERE id = ?`)
	disableUserSQL = shared(`UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`)

	insertSessionSQL = shared(`INSERT INTO sessions (token_hash, user_id, audience, created_at, expires_at, api_key_id)
		VALUES (?, ?, ?, ?, ?, ?)`)
	sessionByTokenHashSQL = shared(`SELECT u.id, u.username, u.role, u.operator_id, u.organisation_id,
			s.audience, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.released_at IS NULL AND s.expires_at > ? AND u.disabled_at IS NULL`)
	// releaseSessionSQL's ?1 is the time of the release.
	releaseSessionSQL = shared(`UPDATE sessions SET released_at = ?1
		WHERE token_hash = ?2 AND released_at IS NULL AND expires_at > ?1`)
	releaseUserSessionsSQL = shared(`UPDATE sessions SET released_at = ?1
		WHERE user_id = ?2 AND released_at IS NULL AND expires_at > ?1`)
	releaseUserAudienceSessionsSQL = shared(`UPDATE sessions SET released_at = ?1
		WHERE user_id = ?2 AND audience = ?3 AND released_at IS NULL AND expires_at > ?1`)
	deleteSessionsEndedBeforeSQL = shared(`DELETE FROM sessions WHERE expires_at < ?1 OR released_at < ?1`)

	insertAdminTokenSQL = shared(`INSERT INTO admin_tokens (name, token_hash, role, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`)
	adminTokenSQL  = shared(`SELECT ` + AdminTokenColumns + ` FROM admin_tokens WHERE token_hash = ?`)
	adminTokensSQL = shared(`SELECT ` + AdminTokenColumns + ` FROM admin_tokens ORDER BY name`)
	// touchAdminTokenSQL never moves last use back in time.
	touchAdminTokenSQL = shared(`UPDATE admin_tokens SET last_used_at = ?1
		WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`)
	deleteAdminTokenSQL = shared(`DELETE FROM admin_tokens WHERE name = ?`)

	insertAPIKeySQL = shared(`INSERT INTO api_keys (user_id, label, key_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`)
	// userForAPIKeySQL finds the enabled user of a role owning a key, and
	// the key's id.
	userForAPIKeySQL = shared(`SELECT u.id, u.organisation_id, u.operator_id, u.username, u.password_hash, u.role, u.created_at, k.id
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.key_hash = ? AND u.disabled_at IS NULL AND u.role = ?`)
	apiKeysSQL = shared(`SELECT ` + APIKeyColumns + ` FROM api_keys WHERE user_id = ? ORDER BY label`)
	// touchAPIKeySQL never moves last use back in time.
	touchAPIKeySQL = shared(`UPDATE api_keys SET last_used_at = ?1
		WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`)
	releaseAPIKeySessionsSQL = shared(`UPDATE sessions SET released_at = ?1
		WHERE api_key_id = (SELECT id FROM api_keys WHERE user_id = ?2 AND label = ?3)
		AND released_at IS NULL AND expires_at > ?1`)
	deleteAPIKeySQL = shared(`DELETE FROM api_keys WHERE user_id = ? AND label = ?`)

	credentialGenerationSQL = shared(`SELECT generation FROM credential_changes WHERE id = 1`)
	bumpCredentialsSQL      = shared(`UPDATE credential_changes SET generation = generation + 1 WHERE id = 1`)

	insertAuditSQL = shared(`INSERT INTO audit_log (at, actor, action, subject) VALUES (?, ?, ?, ?)`)
	auditLogSQL    = shared(`SELECT at, actor, action, subject FROM audit_log ORDER BY id`)

	pluginStatesSQL   = shared(`SELECT callsign, active FROM plugin_states`)
	setPluginStateSQL = shared(`INSERT INTO plugin_states (callsign, active) VALUES (?, ?)
		ON CONFLICT (callsign) DO UPDATE SET active = excluded.active`)

	settingSQL          = shared(`SELECT value FROM settings WHERE key = ?`)
	insertNewSettingSQL = shared(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`)

	createSchemaMigrationsSQL = shared(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	appliedMigrationsSQL = shared(`SELECT version FROM schema_migrations`)
	// SchemaVersion reads the highest applied migration, 0 for none.
	SchemaVersion      = shared(`SELECT coalesce(max(version), 0) FROM schema_migrations`)
	recordMigrationSQL = shared(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`)
)

// The Netflix plugin.
var (
	insertPromotionSQL = shared(`INSERT INTO netflix_promotions
		(operator_id, code, name, description, effective_from, expires_on, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	promotionByCodeSQL = shared(`SELECT ` + PromotionColumns + ` FROM netflix_promotions WHERE operator_id = ? AND code = ?`)
	promotionsSQL      = shared(`SELECT ` + PromotionColumns + ` FROM netflix_promotions
		WHERE operator_id = ? ORDER BY effective_from, id`)

	// LatestSubscription reads the customer's latest subscription;
	// PostgreSQL's locking read adds FOR UPDATE.
	LatestSubscription = shared(`SELECT ` + SubscriptionColumns + ` FROM netflix_subscriptions
		WHERE operator_id = ? AND customer_identifier = ? ORDER BY id DESC LIMIT 1`)
	// insertSubscriptionSQL leaves a customer's second live subscription to
	// the partial unique index netflix_subscriptions_one_live, which it
	// names as its conflict target.
	insertSubscriptionSQL = shared(`INSERT INTO netflix_subscriptions
		(operator_id, customer_identifier, life_cycle_state, netflix_state, channel,
		 customer_first_name, customer_last_name, customer_address, customer_email, customer_phone,
		 promotion_id, netflix_token_expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier) WHERE life_cycle_state <> 'CANCELLED' DO NOTHING
		RETURNING id`)
	setSubscriptionStateSQL = shared(`UPDATE netflix_subscriptions SET life_cycle_state = ?, netflix_state = ?, updated_at = ?
		WHERE id = ? AND life_cycle_state = ?`)
	insertRedemptionSQL = shared(`INSERT INTO netflix_redemptions
		(operator_id, customer_identifier, promotion_id, subscription_id, redeemed_at) VALUES (?, ?, ?, ?, ?)`)
	insertEventSQL = shared(`INSERT INTO netflix_subscription_events
		(subscription_id, action, from_state, to_state, actor_user_id, actor_username, at, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	subscriptionEventsSQL = shared(`SELECT ` + EventColumns + `
		FROM netflix_subscription_events e JOIN netflix_subscriptions s ON s.id = e.subscription_id
		WHERE s.operator_id = ? AND e.subscription_id = ? ORDER BY e.id`)

	// AckState reads what acknowledging a charge decides on;
	// PostgreSQL's adds FOR UPDATE.
	AckState = shared(`SELECT customer_identifier, status, listed_pending, amount_minor, currency, partner_charge_id, received_on FROM netflix_charges
		WHERE id = ? AND operator_id = ?`)
	statusAcknowledgedSQL = shared(`SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = ? AND status = ?)`)
	insertReferenceSQL    = shared(`INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	referenceHolderSQL       = shared(`SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = ? AND reference_number = ?`)
	insertAcknowledgementSQL = shared(`INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)`)
	markAcknowledgedSQL = shared(`UPDATE netflix_charges SET unacknowledged = FALSE WHERE id = ? AND status = ?`)

	// ClaimPending reads the oldest PENDING charges the processor may
	// settle (arguments: now in Unix seconds, then the limit): those of an
	// operator whose charge_decision is auto, and those of an operator
	// deciding itself that arrived decision_deadline_seconds or more
	// before now. The operator is read in a sub-select, so that
	// PostgreSQL's FOR UPDATE SKIP LOCKED locks the charges alone.
	ClaimPending = shared(`SELECT ` + ChargeColumns + ` FROM netflix_charges
		WHERE status = 'PENDING' AND EXISTS (SELECT 1 FROM operators o WHERE o.id = netflix_charges.operator_id
			AND (o.charge_decision = 'auto' OR netflix_charges.created_at <= ? - o.decision_deadline_seconds))
		ORDER BY id LIMIT ?`)
	// pendingBacklogSQL counts every PENDING charge and dates the oldest
	// one ClaimPending would return at now (its argument).
	pendingBacklogSQL = shared(`SELECT count(*), min(CASE WHEN o.charge_decision = 'auto'
			OR c.created_at <= ? - o.decision_deadline_seconds THEN c.created_at END)
		FROM netflix_charges c JOIN operators o ON o.id = c.operator_id WHERE c.status = 'PENDING'`)
	insertChargeEventSQL = shared(`INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES (?, ?, ?, ?, ?)`)
	// addCustomerPriceSQL keeps the lowest charge id of a price, whichever
	// transaction settles first.
	addCustomerPriceSQL = shared(`INSERT INTO netflix_customer_prices
		(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
		DO UPDATE SET first_charge_id = CASE WHEN excluded.first_charge_id < netflix_customer_prices.first_charge_id
			THEN excluded.first_charge_id ELSE netflix_customer_prices.first_charge_id END`)
	chargeEventsSQL = shared(`SELECT e.charge_id, e.from_status, e.to_status, e.actor, e.at
		FROM netflix_charge_events e JOIN netflix_charges c ON c.id = e.charge_id
		WHERE c.operator_id = ? AND e.charge_id = ? ORDER BY e.id`)
)

// settleCharge is SettleCharge's statement for each settled status: each
// sets the status's own set_as_*_on column.
var settleCharge = map[netflix.ChargeStatus]SQL{}

func init() {
	for status, column := range map[netflix.ChargeStatus]string{
		netflix.Approved:   "set_as_approved_on",
		netflix.Declined:   "set_as_declined_on",
		netflix.BadRequest: "set_as_bad_request_on",
		netflix.Rejected:   "set_as_rejected_on",
	} {
		settleCharge[status] = shared(`UPDATE netflix_charges SET status = ?, ` + column + ` = ?, subscription_id = ?, unacknowledged = TRUE
			WHERE id = ? AND status = 'PENDING'`)
	}
}

// SettleCharge is the statement that settles a PENDING charge as status:
// its arguments are the status, the time, the subscription id (NullID) and
// the charge id.
func SettleCharge(status netflix.ChargeStatus) (SQL, error) {
	q, ok := settleCharge[status]
	if !ok {
		return q, carebridge.Errorf(carebridge.EINTERNAL, "no date column for status %q", status)
	}
	return q, nil
}

// The OCP plugin.
var (
	// profileSQL reads the columns of ScanProfile.
	profileSQL = shared(`SELECT id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	CAST(ocp_services AS TEXT), device_subset_start_time FROM ocp_customers c WHERE id = ?`)
	// grantedProfileSQL is profileSQL for a customer granted to an application:
	// its arguments are the customer's id, then the application's.
	grantedProfileSQL = shared(profileSQL.SQLite + `
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = ? AND g.customer_id = c.id)`)
	applicationByClientIDSQL = shared(`SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = ?`)
	insertApplicationSQL = shared(`INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	permittedCustomersSQL = shared(`SELECT customer_id FROM ocp_application_customers WHERE app_id = ? ORDER BY customer_id`)
	permittedSQL          = shared(`SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = ? AND customer_id = ?)`)

	// The writes of a profile number their placeholders in the order of
	// ProfileArgs. ocp_services comes as JSON text, which PostgreSQL reads
	// into its jsonb column. UpsertCustomer is run per profile, prepared
	// once (SQLite) or in a batch (PostgreSQL).
	UpsertCustomer = shared(`INSERT INTO ocp_customers (` + CustomerColumns + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
		ON CONFLICT (id) DO UPDATE SET nsid = excluded.nsid, name = excluded.name, email = excluded.email,
			enrollment_level = excluded.enrollment_level, can_view_ip = excluded.can_view_ip,
			can_access_ip = excluded.can_access_ip, is_rms = excluded.is_rms, ocp_services = excluded.ocp_services,
			device_subset_start_time = excluded.device_subset_start_time, updated_at = excluded.updated_at`)
	insertCustomerSQL = shared(`INSERT INTO ocp_customers (` + CustomerColumns + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING`)
	replaceCustomerSQL = shared(`UPDATE ocp_customers SET nsid = ?2, name = ?3, email = ?4, enrollment_level = ?5,
		can_view_ip = ?6, can_access_ip = ?7, is_rms = ?8, ocp_services = ?9, device_subset_start_time = ?10, updated_at = ?11
		WHERE id = ?1`)

	insertTokenSQL               = shared(`INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES (?, ?, ?, ?)`)
	tokenSQL                     = shared(`SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = ?`)
	deleteTokensExpiredBeforeSQL = shared(`DELETE FROM ocp_tokens WHERE expires_at < ?`)
)
