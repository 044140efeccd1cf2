package sqlite

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

var showAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// showWorld is an operator with one EFFECTIVE subscription, of customer
// "c1", on db.
func showWorld(t *testing.T, db *DB, store netflix.Store) (op carebridge.Operator, caller carebridge.Caller) {
	t.Helper()
	ctx := context.Background()
	tenancy := NewTenancyStore(db)
	org, err := tenancy.CreateOrganisation(ctx, "org", showAt)
	if err != nil {
		t.Fatal(err)
	}
	op, err = tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "op", CreatedAt: showAt})
	if err != nil {
		t.Fatal(err)
	}
	caller = carebridge.Caller{UserID: 1, Username: "alice", OperatorID: op.ID, OrganisationID: org.ID}
	if _, err := store.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: op.ID, Actor: caller, At: showAt,
		Request: netflix.CreateRequest{Customer: "c1", Channel: "OTHER"}, TokenExpiresAt: showAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return op, caller
}

func stateOf(t *testing.T, store netflix.Store, op carebridge.Operator) netflix.State {
	t.Helper()
	v, err := store.LatestSubscription(context.Background(), op.ID, "c1", showAt)
	if err != nil {
		t.Fatal(err)
	}
	return v.LifeCycleState
}

// pausingParts holds the first read it makes, after reading, until the
// test lets it go on to the cache's store.
type pausingParts struct {
	storage.ShowReader
	once           sync.Once
	loaded, resume chan struct{}
}

func (p *pausingParts) ShowParts(ctx context.Context, operatorID int64, customer string) (storage.ShowParts, error) {
	parts, err := p.ShowReader.ShowParts(ctx, operatorID, customer)
	p.once.Do(func() {
		close(p.loaded)
		<-p.resume
	})
	return parts, err
}

// A show that read the subscription before a suspend committed, and
// reaches the cache after the suspend's invalidation, does not leave
// what it read there: the next show sees the suspend.
func TestShowFillRacingAWrite(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &NetflixEngine{NetflixQueries: storage.NetflixQueries{DB: sharedDB{db}}, db: db}
	parts := &pausingParts{ShowReader: e, loaded: make(chan struct{}), resume: make(chan struct{})}
	store := netflix.NewRecords(&storage.CachedNetflix{Engine: e, Parts: parts, Cache: db.showCache, Watch: db.showWatch})
	op, caller := showWorld(t, db, store)

	first := make(chan netflix.State)
	go func() {
		v, _ := store.LatestSubscription(ctx, op.ID, "c1", showAt)
		first <- v.LifeCycleState
	}()
	<-parts.loaded
	if _, err := store.TransitionSubscription(ctx, op.ID, "c1", netflix.ActionSuspend, caller, "", showAt); err != nil {
		t.Fatal(err)
	}
	close(parts.resume)
	if got := <-first; got != netflix.Effective {
		t.Fatalf("the paused show answered %s, want the EFFECTIVE it read", got)
	}
	if got := stateOf(t, store, op); got != netflix.NotEffective {
		t.Fatalf("the show after the suspend answered %s: the paused fill stored what it read", got)
	}
}

// fakeClock moves only when the test moves it.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

type hits struct{ n atomic.Int64 }

func (h *hits) Hit()     { h.n.Add(1) }
func (h *hits) Miss()    {}
func (h *hits) Evicted() {}

// Another process's write (here, a second handle on the file) is seen by
// the first cached show started externalWriteSeen after it; this
// process's own writes do not empty the cache.
func TestShowSeesAnotherProcessWithinTheBound(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{}
	clock.ns.Store(showAt.UnixNano())
	db.showWatch.now = clock.Now
	var h hits
	db.showCache.Observe(&h)
	store := NewNetflixStore(db)
	op, caller := showWorld(t, db, store)

	stateOf(t, store, op)
	// A write of this process, to another customer, and time passing:
	// the cache keeps c1.
	if _, err := store.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: op.ID, Actor: caller, At: showAt,
		Request: netflix.CreateRequest{Customer: "c2", Channel: "OTHER"}, TokenExpiresAt: showAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(externalWriteSeen)
	if stateOf(t, store, op); h.n.Load() != 1 {
		t.Fatalf("%d hits, want 1: this process's own write emptied the cache", h.n.Load())
	}

	other, err := Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := NewNetflixStore(other).TransitionSubscription(ctx, op.ID, "c1", netflix.ActionSuspend, caller, "", showAt); err != nil {
		t.Fatal(err)
	}
	clock.Advance(externalWriteSeen - time.Millisecond)
	if got := stateOf(t, store, op); got != netflix.Effective {
		t.Fatalf("within the bound: %s, want the cached EFFECTIVE", got) // the bound is what allows it
	}
	clock.Advance(time.Millisecond)
	if got := stateOf(t, store, op); got != netflix.NotEffective {
		t.Fatalf("%v after the other process's write: %s, want NOT_EFFECTIVE", externalWriteSeen, got)
	}
}

// The OCP caches: a factory reset empties them, and another process's
// update of a customer is seen within the bound.
func TestOCPCachesSeeResetAndOtherProcess(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{}
	clock.ns.Store(showAt.UnixNano())
	db.ocpWatch.now = clock.Now
	store := NewOCPStore(db)
	profile := func(name string) ocp.Profile {
		return ocp.Profile{Customer: ocp.Customer{ID: 7, NSID: 1, Name: name}, EnrollmentLevel: ocp.None}
	}
	if err := store.SaveCustomers(ctx, []ocp.Profile{profile("first")}, showAt); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateApplication(ctx, ocp.Application{AppID: 1, Name: "app", ClientID: "app-1", ClientSecretHash: "x", CreatedAt: showAt}, []int64{7}); err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		p, err := store.GrantedProfile(ctx, 1, 7)
		if err != nil {
			t.Fatal(err)
		}
		return p.Name
	}
	name()

	other, err := Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := NewOCPStore(other).UpdateCustomer(ctx, profile("second"), showAt); err != nil {
		t.Fatal(err)
	}
	clock.Advance(externalWriteSeen - time.Millisecond)
	if got := name(); got != "first" {
		t.Fatalf("within the bound: %q, want the cached first", got)
	}
	clock.Advance(time.Millisecond)
	if got := name(); got != "second" {
		t.Fatalf("%v after the other process's update: %q", externalWriteSeen, got)
	}

	if err := db.FactoryReset(ctx, "admin:ops", showAt, []string{ocp.Callsign}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GrantedProfile(ctx, 1, 7); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("after the reset: %v, want ENOTFOUND", err)
	}
}
