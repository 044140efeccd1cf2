package ocp

import (
	"context"
	"time"
)

// Queries are the reads of the OCP plugin's data that an engine answers
// on its own, each one statement.
type Queries interface {
	// Profile returns a customer's profile; ENOTFOUND when there is none.
	Profile(ctx context.Context, id int64) (Profile, error)
	// GrantedProfile is Profile for an application in one read: ENOTFOUND
	// also when the application may not read the customer.
	GrantedProfile(ctx context.Context, appID, id int64) (Profile, error)
	// ApplicationByClientID finds an application by its exact client id;
	// ENOTFOUND when none has it.
	ApplicationByClientID(ctx context.Context, clientID string) (Application, error)
	// PermittedCustomers lists an application's customer ids, ascending;
	// none is an empty list, not nil.
	PermittedCustomers(ctx context.Context, appID int64) ([]int64, error)
	// Permitted tells whether an application may read a customer.
	Permitted(ctx context.Context, appID, customerID int64) (bool, error)
	// Token returns the application and expiry of the access token with
	// this hash, expired or not; ENOTFOUND when none has it.
	Token(ctx context.Context, hash []byte) (appID int64, expires time.Time, err error)
}

// Engine is what a storage engine gives the OCP plugin: its Queries, and
// write transactions offering the primitives the rules of this package
// are written with. A primitive holds a query and whatever locking the
// engine needs to keep its contract; it decides nothing.
type Engine interface {
	Queries
	// InTx runs fn in one write transaction, committed when fn returns
	// nil and rolled back, every write of fn undone, when it returns an
	// error. A transaction the engine had to give up on answers
	// EUNAVAILABLE: nothing was written, and the caller may try again.
	InTx(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one write transaction of an Engine.
type Tx interface {
	// UpsertCustomers stores each profile, replacing every field of the
	// customer with its id when there is one; of two profiles with one id,
	// the later wins.
	UpsertCustomers(ctx context.Context, ps []Profile, at time.Time) error
	// InsertCustomer stores a profile unless a customer with its id
	// exists, and tells whether it stored it. Of two transactions
	// inserting one id, one is told false.
	InsertCustomer(ctx context.Context, p Profile, at time.Time) (bool, error)
	// ReplaceCustomer replaces every field of an existing customer's
	// profile, and tells whether the customer existed.
	ReplaceCustomer(ctx context.Context, p Profile, at time.Time) (bool, error)

	// InsertApplication stores an application unless its id or its client
	// id is taken, and tells whether it stored it. Call it before the
	// application's grants are written.
	InsertApplication(ctx context.Context, a Application) (bool, error)
	// LockApplication tells whether an application exists and, when it
	// does, holds it until the transaction ends: nothing deletes it
	// meanwhile. Call it before the application's grants are written.
	LockApplication(ctx context.Context, appID int64) (bool, error)
	// InsertGrants lets an application read customers; ids granted
	// already, or repeated, are passed over.
	InsertGrants(ctx context.Context, appID int64, customers []int64) error
	// DeleteGrants deletes the application's grants of the customers
	// named and returns the ids it deleted, each once, in no particular
	// order, never nil. A grant another transaction deletes at the same
	// time is deleted by one of them only, and is among that one's ids.
	DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error)

	// InsertToken stores an access token's hash.
	InsertToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error
	// DeleteTokensExpiredBefore deletes the tokens that expire strictly
	// before t, and reports how many.
	DeleteTokensExpiredBefore(ctx context.Context, t time.Time) (int64, error)
}

// Records is the Store of an Engine: the engine answers Queries, and the
// writes below apply this package's rules in the engine's transactions,
// the same for every engine.
type Records struct {
	Engine
}

// NewRecords returns the Store of e.
func NewRecords(e Engine) *Records { return &Records{Engine: e} }

var _ Store = (*Records)(nil)
