// Package demo loads the example data of the source documents (SPEC §6) so
// that a newcomer can try every method at once.
package demo

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/netflix"
)

// The demo identities.
const (
	Organisation = "demo"
	Operator     = "demo"
	Username     = "demo"
	Password     = "demo"
)

// Promotions are the promotions/list example of the CRM.COM document.
var Promotions = []netflix.Promotion{
	{Code: "14", Name: "Test", EffectiveFrom: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
	{Code: "15", Name: "Test_2", EffectiveFrom: time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)},
}

// Load puts the demo data into a database that is empty, or that holds an
// earlier demo load (then only what is missing is added, so a load that was
// interrupted completes). It reports false when the database holds other
// tenants and was left alone.
func Load(ctx context.Context, tenancy carebridge.TenancyStore, nf *netflix.Service, now time.Time) (bool, error) {
	org, err := tenancy.OrganisationByName(ctx, Organisation)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		if used, err := tenancy.HasOrganisations(ctx); err != nil || used {
			return false, err
		}
		if org, err = tenancy.CreateOrganisation(ctx, Organisation, now); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	}

	op, err := tenancy.OperatorByName(ctx, org.ID, Operator)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		op, err = tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: Operator, CreatedAt: now})
	}
	if err != nil {
		return false, err
	}

	if _, err := tenancy.UserForLogin(ctx, Organisation, Username); carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		hash, err := auth.HashPassword(ctx, Password)
		if err != nil {
			return false, err
		}
		if _, err := tenancy.CreateUser(ctx, carebridge.User{
			OrganisationID: org.ID, OperatorID: op.ID, Username: Username, PasswordHash: hash, CreatedAt: now,
		}); err != nil {
			return false, err
		}
	} else if err != nil {
		return false, err
	}

	for _, p := range Promotions {
		p.OperatorID = op.ID
		if _, err := nf.CreatePromotion(ctx, p); err != nil && carebridge.ErrorCode(err) != carebridge.ECONFLICT {
			return false, err
		}
	}
	return true, nil
}
