package ocp

import (
	"context"
	"time"

	"carebridge"
)

// SaveCustomers stores profiles, new or replacing, in one transaction:
// one that cannot be stored leaves every other as it was.
func (r *Records) SaveCustomers(ctx context.Context, ps []Profile, at time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	return r.InTx(ctx, func(tx Tx) error { return tx.UpsertCustomers(ctx, ps, at) })
}

// CreateCustomer inserts a profile unless the id is taken; it never
// replaces one.
func (r *Records) CreateCustomer(ctx context.Context, p Profile, at time.Time) (bool, error) {
	var created bool
	err := r.InTx(ctx, func(tx Tx) (err error) {
		created, err = tx.InsertCustomer(ctx, p, at)
		return err
	})
	return created, err
}

// UpdateCustomer replaces an existing customer's profile; it never
// inserts one.
func (r *Records) UpdateCustomer(ctx context.Context, p Profile, at time.Time) (bool, error) {
	var updated bool
	err := r.InTx(ctx, func(tx Tx) (err error) {
		updated, err = tx.ReplaceCustomer(ctx, p, at)
		return err
	})
	return updated, err
}

// CreateApplication stores an application with its first grants, all or
// nothing: ECONFLICT, and no grant written, when its id or client id is
// taken.
func (r *Records) CreateApplication(ctx context.Context, a Application, customers []int64) (Application, error) {
	err := r.InTx(ctx, func(tx Tx) error {
		inserted, err := tx.InsertApplication(ctx, a)
		if err != nil {
			return err
		}
		if !inserted {
			return carebridge.Errorf(carebridge.ECONFLICT, "Application %d (or client id %q) already exists.", a.AppID, a.ClientID)
		}
		if len(customers) == 0 {
			return nil
		}
		return tx.InsertGrants(ctx, a.AppID, customers)
	})
	return a, err
}

// Grant adds customers an application may read; ENOTFOUND, nothing
// written, for an unknown application.
func (r *Records) Grant(ctx context.Context, appID int64, customers []int64) error {
	return r.InTx(ctx, func(tx Tx) error {
		if err := existingApplication(ctx, tx, appID); err != nil {
			return err
		}
		if len(customers) == 0 {
			return nil
		}
		return tx.InsertGrants(ctx, appID, customers)
	})
}

// Revoke deletes an application's grants and lets decide keep or refuse
// the deletion in the same transaction, seeing what this revoke deleted
// and nothing a concurrent one did. ENOTFOUND, decide not called, for an
// unknown application.
func (r *Records) Revoke(ctx context.Context, appID int64, customers []int64, decide RevokeFunc) error {
	return r.InTx(ctx, func(tx Tx) error {
		if err := existingApplication(ctx, tx, appID); err != nil {
			return err
		}
		revoked := []int64{}
		if len(customers) > 0 {
			var err error
			if revoked, err = tx.DeleteGrants(ctx, appID, customers); err != nil {
				return err
			}
		}
		return decide(revoked)
	})
}

// existingApplication holds an application for the grants that follow,
// or answers ENOTFOUND when there is none.
func existingApplication(ctx context.Context, tx Tx, appID int64) error {
	exists, err := tx.LockApplication(ctx, appID)
	if err == nil && !exists {
		err = carebridge.Errorf(carebridge.ENOTFOUND, "Application %d does not exist.", appID)
	}
	return err
}

// CreateToken stores an access token's hash.
func (r *Records) CreateToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	return r.InTx(ctx, func(tx Tx) error { return tx.InsertToken(ctx, hash, appID, at, expires) })
}

// TokenApplication returns the application and expiry of a live token: one
// whose expiry is after now. An expired token is ENOTFOUND, as an unknown
// one is, whether or not it has been deleted yet.
func (r *Records) TokenApplication(ctx context.Context, hash []byte, now time.Time) (int64, time.Time, error) {
	appID, expires, err := r.Token(ctx, hash)
	if err != nil {
		return 0, time.Time{}, err
	}
	if !expires.After(now) {
		return 0, time.Time{}, errNoToken
	}
	return appID, expires, nil
}

var errNoToken = carebridge.Errorf(carebridge.ENOTFOUND, "No such token.")

// DeleteTokensExpiredBefore deletes the tokens that expired before t.
func (r *Records) DeleteTokensExpiredBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := r.InTx(ctx, func(tx Tx) (err error) {
		n, err = tx.DeleteTokensExpiredBefore(ctx, t)
		return err
	})
	return n, err
}
