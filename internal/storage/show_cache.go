package storage

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/readcache"
)

// ShowParts is what subscriptions/show reads of one customer, before the
// lookback window is applied: the cache keeps these, so that one value
// serves every window as time moves on.
type ShowParts struct {
	Found        bool // the customer has a subscription
	Subscription netflix.Subscription
	Redemptions  []Redeemed     // lowest redemption id first
	Prices       []money.Amount // in the order first charged
}

// Redeemed is one redemption of ShowParts.
type Redeemed struct {
	At        time.Time
	Promotion netflix.Promotion
}

// View is the answer of LatestSubscription(…, since): each promotion
// redeemed at or after since once, in the order first redeemed then. Its
// slices are the caller's own.
func (p ShowParts) View(since time.Time) (netflix.SubscriptionView, error) {
	if !p.Found {
		return netflix.SubscriptionView{}, carebridge.Errorf(carebridge.ENOTFOUND, "Customer %q has no Netflix subscription.", p.Subscription.Customer)
	}
	v := netflix.SubscriptionView{
		Subscription: p.Subscription,
		Promotions:   make([]netflix.Promotion, 0, len(p.Redemptions)),
		Prices:       append(make([]money.Amount, 0, len(p.Prices)), p.Prices...),
	}
next:
	for _, r := range p.Redemptions {
		if r.At.Before(since) {
			continue
		}
		for _, seen := range v.Promotions {
			if seen.ID == r.Promotion.ID {
				continue next
			}
		}
		v.Promotions = append(v.Promotions, r.Promotion)
	}
	return v, nil
}

// size is roughly the bytes p holds, for the cache's bound.
func (p ShowParts) size() int64 {
	n := 160 + len(p.Subscription.Customer) + 32*len(p.Prices)
	for _, r := range p.Redemptions {
		n += 120 + len(r.Promotion.Code) + len(r.Promotion.Name) + len(r.Promotion.Description)
	}
	return int64(n)
}

// ShowReader reads ShowParts in one snapshot; each engine has its query.
type ShowReader interface {
	ShowParts(ctx context.Context, operatorID int64, customer string) (ShowParts, error)
}

// ShowKey names a customer's cached ShowParts.
type ShowKey struct {
	OperatorID int64
	Customer   string
}

// ShowCache is the read cache of subscriptions/show, one per database.
type ShowCache = readcache.Cache[ShowKey, ShowParts]

// NewShowCache returns an empty ShowCache of at most entries customers
// and bytes bytes.
func NewShowCache(entries int, bytes int64) *ShowCache {
	return readcache.New[ShowKey, ShowParts](entries, bytes)
}

// A Watch learns of writes that other processes commit to the database,
// which no transaction here can invalidate.
type Watch interface {
	// Fresh empties caches when another process may have written since
	// it last looked, before any read that relies on that look goes on,
	// and reports false when it cannot tell now: the caches must not be
	// used.
	Fresh(ctx context.Context, caches Clearer) bool
}

// A Clearer empties a cache.
type Clearer interface{ Clear() }

// CachedNetflix is a netflix.Engine whose subscriptions/show reads are
// served from a ShowCache. Its transactions note the customers whose
// show they change, and invalidate exactly those once committed; one that
// changes a subscription it did not read first invalidates everything.
// A new primitive that writes what ShowParts reads must be noted by
// recordingTx, or the cache would keep what it changed.
type CachedNetflix struct {
	netflix.Engine
	Parts ShowReader
	Cache *ShowCache
	Watch Watch // nil: no other process writes
}

// LatestSubscription answers from the customer's cached ShowParts, read
// first when missing, with the lookback window applied to them.
func (c *CachedNetflix) LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (netflix.SubscriptionView, error) {
	if c.Watch != nil && !c.Watch.Fresh(ctx, c.Cache) {
		return c.Engine.LatestSubscription(ctx, operatorID, customer, redeemedSince)
	}
	p, err := c.Cache.Load(ShowKey{operatorID, customer}, func() (ShowParts, int64, error) {
		p, err := c.Parts.ShowParts(ctx, operatorID, customer)
		p.Subscription.Customer = customer
		return p, p.size(), err
	})
	if err != nil {
		return netflix.SubscriptionView{}, err
	}
	return p.View(redeemedSince)
}

// InTx runs fn in the engine's transaction and then, committed or not,
// invalidates the customers it wrote.
func (c *CachedNetflix) InTx(ctx context.Context, fn func(tx netflix.Tx) error) error {
	w := &writes{}
	err := c.Engine.InTx(ctx, func(tx netflix.Tx) error {
		return fn(&recordingTx{Tx: tx, w: w})
	})
	if w.all {
		c.Cache.Clear()
	} else if len(w.keys) > 0 {
		c.Cache.Invalidate(w.keys...)
	}
	return err
}

// writes are the customers whose show a transaction changed.
type writes struct {
	keys []ShowKey
	subs map[int64]ShowKey // subscriptions read, by id
	all  bool              // a change of a subscription not read
}

func (w *writes) add(k ShowKey) { w.keys = append(w.keys, k) }

func (w *writes) read(s *netflix.Subscription) {
	if s == nil {
		return
	}
	if w.subs == nil {
		w.subs = make(map[int64]ShowKey)
	}
	w.subs[s.ID] = ShowKey{s.OperatorID, s.Customer}
}

// recordingTx is a netflix.Tx noting in w what its writes change of
// subscriptions/show: the subscription, its redemptions and the prices.
type recordingTx struct {
	netflix.Tx
	w *writes
}

func (t *recordingTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	s, err := t.Tx.LatestSubscriptionOf(ctx, operatorID, customer)
	t.w.read(s)
	return s, err
}

func (t *recordingTx) LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	s, err := t.Tx.LockLatestSubscriptionOf(ctx, operatorID, customer)
	t.w.read(s)
	return s, err
}

func (t *recordingTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	if k, ok := t.w.subs[subscriptionID]; ok {
		t.w.add(k)
	} else {
		t.w.all = true
	}
	return t.Tx.SetSubscriptionState(ctx, subscriptionID, from, life, onNetflix, at)
}

func (t *recordingTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (int64, bool, error) {
	t.w.add(ShowKey{s.OperatorID, s.Request.Customer})
	return t.Tx.InsertSubscription(ctx, s)
}

func (t *recordingTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	t.w.add(ShowKey{r.OperatorID, r.Customer})
	return t.Tx.InsertRedemption(ctx, r)
}

func (t *recordingTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	t.w.add(ShowKey{operatorID, customer})
	return t.Tx.AddCustomerPrice(ctx, operatorID, customer, amount, chargeID)
}
