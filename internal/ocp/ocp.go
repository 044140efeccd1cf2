// Package ocp is the OCP plugin's domain: customers of OptConnect services,
// their profiles and enrollment levels, and the applications (API
// consumers) allowed to read them.
package ocp

import (
	"context"
	"time"

	"carebridge"
)

// Callsign is the OCP plugin's name on the host.
const Callsign = "OCP"

// Plugin is the OCP plugin as the host sees it.
type Plugin struct {
	Service *Service
}

// DataWiped is told of a factory reset (CustomerCareOperations): the
// access tokens it cached are gone with the data.
func (p Plugin) DataWiped() { p.Service.DataWiped() }

func (Plugin) Callsign() string  { return Callsign }
func (Plugin) ClassName() string { return "OCP" }
func (Plugin) Version() string   { return "1.0.0" }

// Customer is an OCP customer record. NSID is the billing system's id.
type Customer struct {
	ID   int64
	NSID int64
	Name string
}

// Profile is a customer's profile: the customer and its permissions.
type Profile struct {
	Customer
	CanViewIP             bool
	CanAccessIP           bool
	IsRMS                 bool
	Email                 string
	EnrollmentLevel       Level
	OCPServices           []string
	DeviceSubsetStartTime int64
}

// Application is an API consumer: it authenticates with OAuth2 client
// credentials and may read only the customers it was granted.
type Application struct {
	AppID            int64
	Name             string
	ClientID         string
	ClientSecretHash string // argon2id
	CreatedAt        time.Time
}

// Store keeps the OCP plugin's data. Each method is one transaction.
type Store interface {
	// SaveCustomers inserts or replaces profiles, all in one transaction.
	SaveCustomers(ctx context.Context, ps []Profile, at time.Time) error
	// CreateCustomer inserts a profile unless a customer with its id
	// exists; it tells whether it inserted. UpdateCustomer replaces the
	// profile of an existing customer; it tells whether one existed.
	CreateCustomer(ctx context.Context, p Profile, at time.Time) (bool, error)
	UpdateCustomer(ctx context.Context, p Profile, at time.Time) (bool, error)
	// Profile returns a customer's profile; ENOTFOUND when there is none.
	Profile(ctx context.Context, id int64) (Profile, error)
	// GrantedProfile is Profile for an application in one read: ENOTFOUND
	// also when the application may not read the customer.
	GrantedProfile(ctx context.Context, appID, id int64) (Profile, error)

	CreateApplication(ctx context.Context, a Application, customers []int64) (Application, error)
	ApplicationByClientID(ctx context.Context, clientID string) (Application, error)
	// Grant adds customers an application may read; ENOTFOUND for an
	// unknown application.
	Grant(ctx context.Context, appID int64, customers []int64) error
	// Revoke deletes the application's grants of the given customers and,
	// in the same transaction, passes decide the ids it deleted; when
	// decide returns an error nothing is revoked and Revoke returns it.
	// ENOTFOUND, without calling decide, for an unknown application.
	Revoke(ctx context.Context, appID int64, customers []int64, decide RevokeFunc) error
	// PermittedCustomers lists an application's customer ids, ascending.
	PermittedCustomers(ctx context.Context, appID int64) ([]int64, error)
	// Permitted tells whether an application may read a customer.
	Permitted(ctx context.Context, appID, customerID int64) (bool, error)

	// CreateToken stores an access token's hash; TokenApplication returns
	// the application and expiry of a live one, ENOTFOUND otherwise.
	CreateToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error
	TokenApplication(ctx context.Context, hash []byte, now time.Time) (appID int64, expires time.Time, err error)
	DeleteTokensExpiredBefore(ctx context.Context, t time.Time) (int64, error)
}

// RevokeFunc decides whether a revoke stands, given the customer ids whose
// grants it deleted (each once, in no particular order). It runs inside the
// store's transaction, so what it sees is what the revoke did: a grant
// deleted by a concurrent revoke is not among them.
type RevokeFunc func(revoked []int64) error

var errNotAuthorized = carebridge.Errorf(carebridge.EUNAUTHORIZED, "Not Authorized")
