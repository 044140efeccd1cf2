package server

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/careapi"
	"carebridge/internal/demo"
	"carebridge/internal/netflix"
	"carebridge/internal/partnerapi"
	"carebridge/internal/rpcapi"
	"carebridge/internal/webhook"
)

// Tenancy is the platform data of one engine, as the server hands it out:
// each part it wires asks for the role it needs (auth's sessions, the
// plane's admin tokens and plugin states, the partner face's secrets, the
// Netflix plugin's groups, the demo's loading), and the commands that run
// on the stores administer the rest.
type Tenancy interface {
	auth.Store
	rpcapi.Platform
	partnerapi.Secrets
	careapi.Operators
	netflix.GroupResolver
	demo.Tenancy
	webhook.Admin

	// RedeliverOf is webhook.Admin's Redeliver for a delivery to one of
	// the operator's endpoints; ENOTFOUND when the operator has none of
	// that id.
	RedeliverOf(ctx context.Context, operatorID, id int64, now time.Time) (webhook.Delivery, error)

	// RotatePartnerSecret replaces an operator's partner secret with a new
	// random one and returns it; ENOTFOUND for an unknown operator.
	RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error)
	// SetChargeDecision sets who decides an operator's PENDING charges and
	// its decision deadline (netflix.ValidateChargeDecision); ENOTFOUND
	// for an unknown operator.
	SetChargeDecision(ctx context.Context, operatorID int64, d netflix.ChargeDecision, deadline time.Duration) error
	// ChargeDecision reads that setting; ENOTFOUND for an unknown operator.
	ChargeDecision(ctx context.Context, operatorID int64) (netflix.ChargeDecision, time.Duration, error)
	// PluginStates returns the saved state of each plugin ever switched
	// (true: activated); a plugin not listed is activated.
	PluginStates(ctx context.Context) (map[string]bool, error)
	// UserByName finds a user of an organisation, disabled or not.
	UserByName(ctx context.Context, organisationID int64, username string) (carebridge.User, error)
	// SetUserRole gives a user another role and ends its live sessions of
	// the audiences end names.
	SetUserRole(ctx context.Context, userID int64, role carebridge.Role, at time.Time, end []carebridge.Audience) error
	// DisableUser disables a user and ends every live session of theirs;
	// ENOTFOUND when there is no such user or it is disabled already.
	DisableUser(ctx context.Context, userID int64, at time.Time) error
	// AdminTokens lists every admin token by name.
	AdminTokens(ctx context.Context) ([]carebridge.AdminToken, error)
	// RevokeAdminToken deletes an admin token; ENOTFOUND when none has
	// that name.
	RevokeAdminToken(ctx context.Context, name string) error
	// CreateAPIKey stores a user's web API key under the hash of its
	// secret; ECONFLICT when the user has a key of that label.
	CreateAPIKey(ctx context.Context, k carebridge.APIKey, hash []byte) (carebridge.APIKey, error)
	// APIKeys lists a user's web API keys by label.
	APIKeys(ctx context.Context, userID int64) ([]carebridge.APIKey, error)
	// RevokeAPIKey deletes a user's web API key and ends the live sessions
	// opened with it; ENOTFOUND when the user has no key of that label.
	RevokeAPIKey(ctx context.Context, userID int64, label string, at time.Time) error
	// AuditLog returns the platform audit log, oldest first.
	AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error)
}
