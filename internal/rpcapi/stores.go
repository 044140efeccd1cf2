package rpcapi

import (
	"context"
	"time"

	"carebridge"
)

// Platform is the platform data the plane reads and writes: the admin
// tokens that authenticate its callers, and the plugin states it saves so
// that every replica reads the same.
type Platform interface {
	// AdminToken returns the admin token with this hash, expired or not;
	// ENOTFOUND when there is none.
	AdminToken(ctx context.Context, hash []byte) (carebridge.AdminToken, error)
	// TouchAdminToken records that a token was used at at.
	TouchAdminToken(ctx context.Context, id int64, at time.Time) error
	// CredentialGeneration counts the changes that ended or narrowed a
	// credential, whichever process made them.
	CredentialGeneration(ctx context.Context) (int64, error)
	// SetPluginState saves a plugin's state (true: activated).
	SetPluginState(ctx context.Context, callsign string, active bool) error
}
