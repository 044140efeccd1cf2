package storetest

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// Tenancy is every part of an engine's platform data the contract checks:
// the union of the roles its consumers define.
type Tenancy interface {
	webhook.Admin
	RedeliverOf(ctx context.Context, operatorID, id int64, now time.Time) (webhook.Delivery, error)

	CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error)
	OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error)
	CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error)
	OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error)
	OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error)
	CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error)
	UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error)
	UserByName(ctx context.Context, organisationID int64, username string) (carebridge.User, error)
	SetUserRole(ctx context.Context, userID int64, role carebridge.Role, at time.Time, end []carebridge.Audience) error
	DisableUser(ctx context.Context, userID int64, at time.Time) error
	CredentialGeneration(ctx context.Context) (int64, error)
	HasOrganisations(ctx context.Context) (bool, error)

	CreateSession(ctx context.Context, s carebridge.Session) error
	CreateAPIKey(ctx context.Context, k carebridge.APIKey, hash []byte) (carebridge.APIKey, error)
	UserForAPIKey(ctx context.Context, hash []byte, role carebridge.Role) (carebridge.User, int64, error)
	APIKeys(ctx context.Context, userID int64) ([]carebridge.APIKey, error)
	RevokeAPIKey(ctx context.Context, userID int64, label string, at time.Time) error
	SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error)
	ReleaseSession(ctx context.Context, hash []byte, now time.Time) error
	DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error)

	PartnerSecret(ctx context.Context, operatorID int64) (string, error)
	RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error)
	SetChargeDecision(ctx context.Context, operatorID int64, d netflix.ChargeDecision, deadline time.Duration) error
	ChargeDecision(ctx context.Context, operatorID int64) (netflix.ChargeDecision, time.Duration, error)
	CreateAdminToken(ctx context.Context, t carebridge.AdminToken, hash []byte) error
	AdminToken(ctx context.Context, hash []byte) (carebridge.AdminToken, error)
	AdminTokens(ctx context.Context) ([]carebridge.AdminToken, error)
	TouchAdminToken(ctx context.Context, id int64, at time.Time) error
	RevokeAdminToken(ctx context.Context, name string) error
	AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error)
	PluginStates(ctx context.Context) (map[string]bool, error)
	SetPluginState(ctx context.Context, callsign string, active bool) error

	Setting(ctx context.Context, key string) (string, error)
	SettleSetting(ctx context.Context, key, value string) (string, error)
	WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error
}
