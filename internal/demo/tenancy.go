package demo

import (
	"context"
	"time"

	"carebridge"
)

// Tenancy is the platform data the demo loads into, and the settings by
// which servers starting at once on one database agree whether to load it.
type Tenancy interface {
	CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error)
	OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error)
	CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error)
	OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error)
	CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error)
	UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error)
	CreateAdminToken(ctx context.Context, t carebridge.AdminToken, hash []byte) error
	// HasOrganisations tells whether any tenant exists.
	HasOrganisations(ctx context.Context) (bool, error)

	// Setting returns the value saved under key; ENOTFOUND when none is.
	Setting(ctx context.Context, key string) (string, error)
	// SettleSetting saves value under key unless a value is saved there
	// already, and returns the value that holds: the first writer wins.
	SettleSetting(ctx context.Context, key, value string) (string, error)
	// WithMigrationLock runs fn holding the lock the schema migrations
	// take, so that servers starting at once decide one after another.
	WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error
}
