package storage

import (
	"context"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/readcache"
)

// StoredProfile is a customer's profile as the cache keeps it, with
// whether there is one.
type StoredProfile struct {
	Found   bool
	Profile ocp.Profile
}

func (p StoredProfile) size() int64 {
	n := 160 + len(p.Profile.Name) + len(p.Profile.Email)
	for _, s := range p.Profile.OCPServices {
		n += 16 + len(s)
	}
	return int64(n)
}

// GrantKey names whether an application may read a customer.
type GrantKey struct{ AppID, CustomerID int64 }

// OCPCaches are the read caches of the OCP plugin, one of each per
// database: profiles by customer id, and grants.
type OCPCaches struct {
	Profiles *readcache.Cache[int64, StoredProfile]
	Grants   *readcache.Cache[GrantKey, bool]
}

// NewOCPCaches returns empty caches of at most entries values each, and
// bytes bytes of profiles.
func NewOCPCaches(entries int, bytes int64) OCPCaches {
	return OCPCaches{
		Profiles: readcache.New[int64, StoredProfile](entries, bytes),
		Grants:   readcache.New[GrantKey, bool](entries, int64(entries)*48),
	}
}

// Clear empties both caches.
func (c *OCPCaches) Clear() {
	c.Profiles.Clear()
	c.Grants.Clear()
}

// CachedOCP is an ocp.Engine whose profile and grant reads are served
// from OCPCaches. Its transactions note the customers and grants they
// write, and invalidate exactly those once committed. A new primitive
// that writes a profile or a grant must be noted by ocpWritesTx.
// GrantedProfile reads the grant, then the profile, each from its cache.
type CachedOCP struct {
	ocp.Engine
	Caches OCPCaches
	Watch  Watch // nil: no other process writes
}

// fresh clears the caches when another process may have written, and
// reports false when they must not be used now.
func (c *CachedOCP) fresh(ctx context.Context) bool {
	return c.Watch == nil || c.Watch.Fresh(ctx, &c.Caches)
}

func (c *CachedOCP) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	if !c.fresh(ctx) {
		return c.Engine.Profile(ctx, id)
	}
	return c.profile(ctx, id)
}

func (c *CachedOCP) profile(ctx context.Context, id int64) (ocp.Profile, error) {
	p, err := c.Caches.Profiles.Load(id, func() (StoredProfile, int64, error) {
		p, err := c.Engine.Profile(ctx, id)
		if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
			return StoredProfile{}, StoredProfile{}.size(), nil
		}
		s := StoredProfile{Found: true, Profile: p}
		return s, s.size(), err
	})
	switch {
	case err != nil:
		return ocp.Profile{}, err
	case !p.Found:
		return ocp.Profile{}, carebridge.Errorf(carebridge.ENOTFOUND, customerNotFound)
	}
	out := p.Profile
	out.OCPServices = slices.Clone(out.OCPServices)
	return out, nil
}

func (c *CachedOCP) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	if !c.fresh(ctx) {
		return c.Engine.GrantedProfile(ctx, appID, id)
	}
	ok, err := c.permitted(ctx, appID, id)
	switch {
	case err != nil:
		return ocp.Profile{}, err
	case !ok:
		return ocp.Profile{}, carebridge.Errorf(carebridge.ENOTFOUND, customerNotFound)
	}
	return c.profile(ctx, id)
}

func (c *CachedOCP) Permitted(ctx context.Context, appID, id int64) (bool, error) {
	if !c.fresh(ctx) {
		return c.Engine.Permitted(ctx, appID, id)
	}
	return c.permitted(ctx, appID, id)
}

func (c *CachedOCP) permitted(ctx context.Context, appID, id int64) (bool, error) {
	return c.Caches.Grants.Load(GrantKey{appID, id}, func() (bool, int64, error) {
		ok, err := c.Engine.Permitted(ctx, appID, id)
		return ok, 48, err
	})
}

// InTx runs fn in the engine's transaction and then, committed or not,
// invalidates the profiles and grants it wrote.
func (c *CachedOCP) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	t := &ocpWritesTx{}
	err := c.Engine.InTx(ctx, func(tx ocp.Tx) error {
		t.Tx = tx
		return fn(t)
	})
	c.Caches.Profiles.Invalidate(t.profiles...)
	c.Caches.Grants.Invalidate(t.grants...)
	return err
}

// ocpWritesTx is an ocp.Tx noting the customers and grants it writes.
type ocpWritesTx struct {
	ocp.Tx
	profiles []int64
	grants   []GrantKey
}

func (t *ocpWritesTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	for _, p := range ps {
		t.profiles = append(t.profiles, p.ID)
	}
	return t.Tx.UpsertCustomers(ctx, ps, at)
}

func (t *ocpWritesTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	t.profiles = append(t.profiles, p.ID)
	return t.Tx.InsertCustomer(ctx, p, at)
}

func (t *ocpWritesTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	t.profiles = append(t.profiles, p.ID)
	return t.Tx.ReplaceCustomer(ctx, p, at)
}

func (t *ocpWritesTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	for _, id := range customers {
		t.grants = append(t.grants, GrantKey{appID, id})
	}
	return t.Tx.InsertGrants(ctx, appID, customers)
}

func (t *ocpWritesTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	for _, id := range customers {
		t.grants = append(t.grants, GrantKey{appID, id})
	}
	return t.Tx.DeleteGrants(ctx, appID, customers)
}
