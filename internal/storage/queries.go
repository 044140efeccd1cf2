package storage

import (
	"carebridge"
	"carebridge/internal/netflix"
)

// The statements both dialects read alike. Booleans are written TRUE and
// FALSE, which SQLite reads as 1 and 0; quoted text holds no ?.

// Tenancy and settings.
var (
	InsertOrganisation = shared(`INSERT INTO organisations (name, created_at) VALUES (?, ?) RETURNING id`)
	OrganisationByName = shared(`SELECT id, name, created_at FROM organisations WHERE name = ?`)
	HasOrganisations   = shared(`SELECT EXISTS (SELECT 1 FROM organisations)`)

	InsertOperator = shared(`INSERT INTO operators (organisation_id, name, alternative_code, partner_secret, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	OperatorByName            = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND name = ?`)
	OperatorByID              = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND id = ?`)
	OperatorByAlternativeCode = shared(`SELECT ` + OperatorColumns + ` FROM operators WHERE organisation_id = ? AND alternative_code = ?`)
	PartnerSecret             = shared(`SELECT partner_secret FROM operators WHERE id = ?`)
	SetPartnerSecret          = shared(`UPDATE operators SET partner_secret = ? WHERE id = ?`)

	InsertUser = shared(`INSERT INTO users (organisation_id, operator_id, username, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`)
	UserForLogin = shared(`SELECT u.id, u.organisation_id, u.operator_id, u.username, u.password_hash, u.created_at
		FROM users u JOIN organisations o ON o.id = u.organisation_id
		WHERE o.name = ? AND u.username = ?`)

	InsertSession      = shared(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`)
	SessionByTokenHash = shared(`SELECT u.id, u.username, u.operator_id, u.organisation_id, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.released_at IS NULL AND s.expires_at > ?`)
	// ReleaseSession's ?1 is the time of the release.
	ReleaseSession = shared(`UPDATE sessions SET released_at = ?1
		WHERE token_hash = ?2 AND released_at IS NULL AND expires_at > ?1`)
	DeleteSessionsEndedBefore = shared(`DELETE FROM sessions WHERE expires_at < ?1 OR released_at < ?1`)

	InsertAdminToken = shared(`INSERT INTO admin_tokens (name, token_hash, created_at) VALUES (?, ?, ?)`)
	AdminTokenName   = shared(`SELECT name FROM admin_tokens WHERE token_hash = ?`)

	InsertAudit = shared(`INSERT INTO audit_log (at, actor, action, subject) VALUES (?, ?, ?, ?)`)
	AuditLog    = shared(`SELECT at, actor, action, subject FROM audit_log ORDER BY id`)

	PluginStates   = shared(`SELECT callsign, active FROM plugin_states`)
	SetPluginState = shared(`INSERT INTO plugin_states (callsign, active) VALUES (?, ?)
		ON CONFLICT (callsign) DO UPDATE SET active = excluded.active`)

	Setting          = shared(`SELECT value FROM settings WHERE key = ?`)
	InsertNewSetting = shared(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`)

	CreateSchemaMigrations = shared(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
	AppliedMigrations = shared(`SELECT version FROM schema_migrations`)
	SchemaVersion     = shared(`SELECT coalesce(max(version), 0) FROM schema_migrations`)
	RecordMigration   = shared(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`)
)

// The Netflix plugin.
var (
	InsertPromotion = shared(`INSERT INTO netflix_promotions
		(operator_id, code, name, description, effective_from, expires_on, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	PromotionByCode = shared(`SELECT ` + PromotionColumns + ` FROM netflix_promotions WHERE operator_id = ? AND code = ?`)
	Promotions      = shared(`SELECT ` + PromotionColumns + ` FROM netflix_promotions
		WHERE operator_id = ? ORDER BY effective_from, id`)

	LatestSubscription = shared(`SELECT ` + SubscriptionColumns + ` FROM netflix_subscriptions
		WHERE operator_id = ? AND customer_identifier = ? ORDER BY id DESC LIMIT 1`)
	// InsertSubscription leaves a customer's second live subscription to
	// the partial unique index netflix_subscriptions_one_live, which it
	// names as its conflict target.
	InsertSubscription = shared(`INSERT INTO netflix_subscriptions
		(operator_id, customer_identifier, life_cycle_state, netflix_state, channel,
		 customer_first_name, customer_last_name, customer_address, customer_email, customer_phone,
		 promotion_id, netflix_token_expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier) WHERE life_cycle_state <> 'CANCELLED' DO NOTHING
		RETURNING id`)
	SetSubscriptionState = shared(`UPDATE netflix_subscriptions SET life_cycle_state = ?, netflix_state = ?, updated_at = ?
		WHERE id = ? AND life_cycle_state = ?`)
	InsertRedemption = shared(`INSERT INTO netflix_redemptions
		(operator_id, customer_identifier, promotion_id, subscription_id, redeemed_at) VALUES (?, ?, ?, ?, ?)`)
	InsertEvent = shared(`INSERT INTO netflix_subscription_events
		(subscription_id, action, from_state, to_state, actor_user_id, actor_username, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	SubscriptionEvents = shared(`SELECT e.subscription_id, e.action, e.from_state, e.to_state,
			e.actor_user_id, e.actor_username, e.at
		FROM netflix_subscription_events e JOIN netflix_subscriptions s ON s.id = e.subscription_id
		WHERE s.operator_id = ? AND e.subscription_id = ? ORDER BY e.id`)

	AckState = shared(`SELECT customer_identifier, status, listed_pending FROM netflix_charges
		WHERE id = ? AND operator_id = ?`)
	StatusAcknowledged = shared(`SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = ? AND status = ?)`)
	InsertReference    = shared(`INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	ReferenceHolder       = shared(`SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = ? AND reference_number = ?`)
	InsertAcknowledgement = shared(`INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)`)
	MarkAcknowledged = shared(`UPDATE netflix_charges SET unacknowledged = FALSE WHERE id = ? AND status = ?`)

	ClaimPending      = shared(`SELECT ` + ChargeColumns + ` FROM netflix_charges WHERE status = 'PENDING' ORDER BY id LIMIT ?`)
	PendingBacklog    = shared(`SELECT count(*), min(created_at) FROM netflix_charges WHERE status = 'PENDING'`)
	InsertChargeEvent = shared(`INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES (?, ?, ?, ?, ?)`)
	// AddCustomerPrice keeps the lowest charge id of a price, whichever
	// transaction settles first.
	AddCustomerPrice = shared(`INSERT INTO netflix_customer_prices
		(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
		DO UPDATE SET first_charge_id = CASE WHEN excluded.first_charge_id < netflix_customer_prices.first_charge_id
			THEN excluded.first_charge_id ELSE netflix_customer_prices.first_charge_id END`)
	ChargeEvents = shared(`SELECT e.charge_id, e.from_status, e.to_status, e.actor, e.at
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
	// Profile reads the columns of ScanProfile.
	Profile = shared(`SELECT id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	CAST(ocp_services AS TEXT), device_subset_start_time FROM ocp_customers c WHERE id = ?`)
	// GrantedProfile is Profile for a customer granted to an application:
	// its arguments are the customer's id, then the application's.
	GrantedProfile = shared(Profile.SQLite + `
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = ? AND g.customer_id = c.id)`)
	ApplicationByClientID = shared(`SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = ?`)
	InsertApplication = shared(`INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	PermittedCustomers = shared(`SELECT customer_id FROM ocp_application_customers WHERE app_id = ? ORDER BY customer_id`)
	Permitted          = shared(`SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = ? AND customer_id = ?)`)

	// The writes of a profile number their placeholders in the order of
	// ProfileArgs. ocp_services comes as JSON text, which PostgreSQL reads
	// into its jsonb column.
	UpsertCustomer = shared(`INSERT INTO ocp_customers (` + CustomerColumns + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
		ON CONFLICT (id) DO UPDATE SET nsid = excluded.nsid, name = excluded.name, email = excluded.email,
			enrollment_level = excluded.enrollment_level, can_view_ip = excluded.can_view_ip,
			can_access_ip = excluded.can_access_ip, is_rms = excluded.is_rms, ocp_services = excluded.ocp_services,
			device_subset_start_time = excluded.device_subset_start_time, updated_at = excluded.updated_at`)
	InsertCustomer = shared(`INSERT INTO ocp_customers (` + CustomerColumns + `)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING`)
	ReplaceCustomer = shared(`UPDATE ocp_customers SET nsid = ?2, name = ?3, email = ?4, enrollment_level = ?5,
		can_view_ip = ?6, can_access_ip = ?7, is_rms = ?8, ocp_services = ?9, device_subset_start_time = ?10, updated_at = ?11
		WHERE id = ?1`)

	InsertToken               = shared(`INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES (?, ?, ?, ?)`)
	Token                     = shared(`SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = ?`)
	DeleteTokensExpiredBefore = shared(`DELETE FROM ocp_tokens WHERE expires_at < ?`)
)
