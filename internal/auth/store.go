package auth

import (
	"context"
	"time"

	"carebridge"
)

// Store keeps the users who log in and their sessions. Each method is one
// transaction.
type Store interface {
	// UserForLogin finds a user by organisation name and username;
	// ENOTFOUND when there is none or the user is disabled.
	UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error)
	// UserForAPIKey finds the user owning the web API key of this hash,
	// and the key's id; ENOTFOUND when there is none, the user is disabled
	// or does not hold role.
	UserForAPIKey(ctx context.Context, hash []byte, role carebridge.Role) (carebridge.User, int64, error)
	// CreateSession stores a session; one with an APIKeyID also records
	// the key's use.
	CreateSession(ctx context.Context, s carebridge.Session) error
	// SessionByTokenHash returns the live session (not expired at now, not
	// released, its user not disabled), with its audience and its user's
	// role now, or ENOTFOUND.
	SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error)
	// ReleaseSession ends a live session; ENOTFOUND when there is none.
	ReleaseSession(ctx context.Context, hash []byte, now time.Time) error
	// DeleteSessionsEndedBefore removes sessions that expired or were
	// released before t, and reports how many.
	DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error)
}
