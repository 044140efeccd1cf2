package rpcapi

import "context"

// Platform is the platform data the plane reads and writes: the admin
// tokens that authenticate its callers, and the plugin states it saves so
// that every replica reads the same.
type Platform interface {
	// AdminTokenName returns the name of the admin token with this hash;
	// ENOTFOUND when there is none.
	AdminTokenName(ctx context.Context, hash []byte) (string, error)
	// SetPluginState saves a plugin's state (true: activated).
	SetPluginState(ctx context.Context, callsign string, active bool) error
}
