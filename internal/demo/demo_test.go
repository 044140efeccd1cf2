package demo_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/partner"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// fixture is one test's database: the stores the demo loads into and a
// second, plain SQL connection for counting rows.
type fixture struct {
	stores *server.Stores
	nf     *netflix.Service
	ocp    *ocp.Service
	raw    *sql.DB
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, testdb.SQLitePath(t))
}

// newFixtureAt opens the database file at path; fixtures on one path are
// two servers sharing a file.
func newFixtureAt(t *testing.T, path string) *fixture {
	t.Helper()
	stores := testserver.OpenStores(t, path)
	// The sqlite driver is registered by the storage package.
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return &fixture{
		stores: stores,
		nf:     &netflix.Service{Store: stores.Netflix, Partner: partner.Local{}, Groups: stores.Tenancy, Now: time.Now},
		ocp:    &ocp.Service{Store: stores.OCP, Now: time.Now, TokenLifetime: time.Hour},
		raw:    raw,
	}
}

func (f *fixture) load(t *testing.T) bool {
	t.Helper()
	op, loaded, err := demo.Load(t.Context(), demo.Services{Tenancy: f.stores.Tenancy, Netflix: f.nf, OCP: f.ocp}, time.Now())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if loaded && op.Name != demo.Operator {
		t.Fatalf("Load returned operator %+v", op)
	}
	return loaded
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.raw.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

type counts struct{ orgs, operators, users, promotions, subscriptions, charges int }

func (f *fixture) counts(t *testing.T) counts {
	t.Helper()
	return counts{
		orgs:          f.count(t, "organisations"),
		operators:     f.count(t, "operators"),
		users:         f.count(t, "users"),
		promotions:    f.count(t, "netflix_promotions"),
		subscriptions: f.count(t, "netflix_subscriptions"),
		charges:       f.count(t, "netflix_charges"),
	}
}

// complete is the row count of one full demo load.
var complete = counts{1, 1, 3, 2, 4, 5}

// checkLoaded verifies the complete demo data.
func (f *fixture) checkLoaded(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	org, err := f.stores.Tenancy.OrganisationByName(ctx, "demo")
	if err != nil {
		t.Fatalf("organisation demo: %v", err)
	}
	op, err := f.stores.Tenancy.OperatorByName(ctx, org.ID, "demo")
	if err != nil {
		t.Fatalf("operator demo: %v", err)
	}
	if op.ID != 1 {
		t.Errorf("operator demo has group id %d, want 1", op.ID)
	}

	svc := auth.NewService(f.stores.Tenancy, time.Now, time.Hour)
	tok, err := svc.Login(ctx, "demo", "demo", "demo", "192.0.2.1")
	if err != nil {
		t.Fatalf("login demo/demo/demo: %v", err)
	}
	caller, err := svc.Authenticate(ctx, tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if caller.OperatorID != op.ID || caller.OrganisationID != org.ID || caller.Username != "demo" {
		t.Errorf("demo user acts as %+v, want operator %d of organisation %d", caller, op.ID, org.ID)
	}
	if _, err := svc.Login(ctx, "demo", "demo", "Demo", "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Errorf("login with a wrong password: %v, want bad credentials", err)
	}
	// The care agent and the supervisor log in to the care plane, and
	// not to the CRM.COM face.
	care := svc.ForAudience(carebridge.AudienceCare, time.Hour)
	for user, role := range map[string]carebridge.Role{demo.CareAgent: carebridge.RoleCare, demo.Supervisor: carebridge.RoleSupervisor} {
		tok, err := care.Login(ctx, "demo", user, user, "192.0.2.1")
		if err != nil || tok.Caller.Role != role || tok.Caller.OperatorID != op.ID {
			t.Errorf("care login %s = %+v, %v; want role %s of operator %d", user, tok.Caller, err, role, op.ID)
		}
		if _, err := svc.Login(ctx, "demo", user, user, "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
			t.Errorf("CRM.COM login of %s: %v, want bad credentials", user, err)
		}
	}

	ps, err := f.nf.Promotions(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		code, name string
		from       time.Time
	}{
		{"14", "Test", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"15", "Test_2", time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d promotions, want %d: %+v", len(ps), len(want), ps)
	}
	for i, w := range want {
		p := ps[i]
		if p.Code != w.code || p.Name != w.name || !p.EffectiveFrom.Equal(w.from) ||
			p.Description != "" || !p.ExpiresOn.IsZero() || p.OperatorID != op.ID {
			t.Errorf("promotion %d: %+v, want code %s name %s from %s, no description, no expiry", i, p, w.code, w.name, w.from)
		}
	}
	for _, customer := range []string{"pci150", "1pci30", "1pci28", "1pci26"} {
		v, err := f.nf.Show(ctx, caller, customer)
		if err != nil || v.LifeCycleState != netflix.Effective {
			t.Errorf("subscription of %s: %+v, %v; want EFFECTIVE", customer, v.Subscription, err)
		}
	}
	charges, err := f.nf.ListCharges(ctx, caller, "NOT_PROCESSED", 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range charges {
		got[c.Number()] = c.Customer + " " + c.Amount.Number() + " " + c.Amount.Currency
	}
	wantCharges := map[string]string{
		"I00002662": "pci150 5.99 USD", "I00002671": "pci150 5.99 USD", "I00002776": "1pci30 5.99 USD",
		"I00002778": "1pci28 2.99 USD", "I00002780": "1pci26 1.99 USD",
	}
	if len(got) != len(wantCharges) {
		t.Errorf("PENDING charges %v, want %v", got, wantCharges)
	}
	for n, w := range wantCharges {
		if got[n] != w {
			t.Errorf("charge %s = %q, want %q", n, got[n], w)
		}
	}
	if c := f.counts(t); c != complete {
		t.Errorf("rows %+v, want %+v", c, complete)
	}
}

func TestLoadEmpty(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if !f.load(t) {
		t.Fatal("Load into an empty database reported false")
	}
	f.checkLoaded(t)
}

func TestLoadTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if !f.load(t) {
		t.Fatal("first Load reported false")
	}
	before := f.counts(t)
	if !f.load(t) {
		t.Fatal("second Load reported false")
	}
	if after := f.counts(t); after != before || after != complete {
		t.Errorf("rows after a second Load %+v, before %+v; want nothing added", after, before)
	}
	f.checkLoaded(t)
}

func TestLoadCompletesPartialLoad(t *testing.T) {
	t.Parallel()
	// An earlier load that stopped after the platform part (the demo user
	// with its password exists) is completed.
	f := newFixture(t)
	ctx := t.Context()
	org, err := f.stores.Tenancy.CreateOrganisation(ctx, "demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	op, err := f.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "demo", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: org.ID, OperatorID: op.ID, Username: "demo", PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p := demo.Promotions[0]
	p.OperatorID = op.ID
	if _, err := f.nf.CreatePromotion(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !f.load(t) {
		t.Fatal("Load over an earlier partial load reported false")
	}
	f.checkLoaded(t)

	// Another tenant appearing later does not stop the demo data being
	// kept complete, and nothing is added twice.
	if _, err := f.stores.Tenancy.CreateOrganisation(ctx, "other", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !f.load(t) {
		t.Fatal("Load with the demo data present reported false")
	}
	want := complete
	want.orgs++
	if c := f.counts(t); c != want {
		t.Errorf("rows %+v, want %+v", c, want)
	}
}

// A real organisation that happens to be called demo never receives the
// demo user and its well-known password.
func TestLoadLeavesARealDemoOrganisationAlone(t *testing.T) {
	t.Parallel()
	for name, withUser := range map[string]bool{"no demo user": false, "demo user with its own password": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := t.Context()
			org, err := f.stores.Tenancy.CreateOrganisation(ctx, "demo", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			op, err := f.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "billing", CreatedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			users := 0
			if withUser {
				hash, err := auth.HashPassword(ctx, "a-real-secret")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: org.ID, OperatorID: op.ID, Username: "demo", PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
				users = 1
			}
			if f.load(t) {
				t.Fatal("Load into a real organisation named demo reported true")
			}
			if c := f.counts(t); c != (counts{1, 1, users, 0, 0, 0}) {
				t.Errorf("rows %+v: the demo data was planted into a real organisation", c)
			}
		})
	}
}

func TestLoadLeavesOtherTenantsAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.stores.Tenancy.CreateOrganisation(t.Context(), "other", time.Now()); err != nil {
		t.Fatal(err)
	}
	if f.load(t) {
		t.Fatal("Load into a database with another organisation reported true")
	}
	if _, err := f.stores.Tenancy.OrganisationByName(t.Context(), "demo"); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Errorf("organisation demo: %v, want not found", err)
	}
	if c := f.counts(t); c != (counts{1, 0, 0, 0, 0, 0}) {
		t.Errorf("rows %+v, want only the other organisation", c)
	}
}

// A restart with --demo keeps what happened since: a cancelled demo
// subscription stays cancelled.
func TestLoadAgainKeepsCancelledSubscriptions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	op, loaded, err := demo.Load(t.Context(), demo.Services{Tenancy: f.stores.Tenancy, Netflix: f.nf, OCP: f.ocp}, time.Now())
	if err != nil || !loaded {
		t.Fatalf("Load = %v, %v", loaded, err)
	}
	caller := carebridge.Caller{OperatorID: op.ID, OrganisationID: op.OrganisationID, Username: "test"}
	if _, err := f.nf.Transition(t.Context(), caller, "pci150", netflix.ActionCancel); err != nil {
		t.Fatal(err)
	}
	f.load(t)
	v, err := f.nf.Show(t.Context(), caller, "pci150")
	if err != nil || v.LifeCycleState != netflix.Cancelled {
		t.Fatalf("pci150 after a second load: %+v, %v; want it still CANCELLED", v.Subscription, err)
	}
	if c := f.counts(t); c != complete {
		t.Errorf("rows %+v, want %+v (nothing re-created)", c, complete)
	}
}

// exec changes the fixture's database behind the stores' back, as an
// operator with the sqlite3 shell would.
func (f *fixture) exec(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Loads that start at once (two servers on one file) are taken one after
// the other: both report the demo, and it is there once.
func TestLoadAtOnce(t *testing.T) {
	t.Parallel()
	path := testdb.SQLitePath(t)
	var fs [2]*fixture
	for i := range fs {
		fs[i] = newFixtureAt(t, path)
	}
	type result struct {
		op     carebridge.Operator
		loaded bool
		err    error
	}
	var results [2]result
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Go(func() {
			<-start
			r := &results[i]
			r.op, r.loaded, r.err = demo.Load(context.Background(), demo.Services{Tenancy: f.stores.Tenancy, Netflix: f.nf, OCP: f.ocp}, time.Now())
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.err != nil || !r.loaded {
			t.Fatalf("Load %d = %v, %v; want the demo loaded by both", i, r.loaded, r.err)
		}
		if r.op != results[0].op {
			t.Fatalf("Load %d returned operator %+v, the other %+v", i, r.op, results[0].op)
		}
	}
	fs[0].checkLoaded(t)
}

// The decision is kept: a database that held other data is not given the
// demo once that data is gone.
func TestLoadKeepsTheDecisionAgainstOtherData(t *testing.T) {
	t.Parallel()
	path := testdb.SQLitePath(t)
	f := newFixtureAt(t, path)
	if _, err := f.stores.Tenancy.CreateOrganisation(t.Context(), "other", time.Now()); err != nil {
		t.Fatal(err)
	}
	if f.load(t) {
		t.Fatal("Load into a database with another organisation reported true")
	}
	f.exec(t, path, `DELETE FROM organisations`)
	if f.load(t) {
		t.Fatal("Load reported true on a database decided to hold other data")
	}
	if c := f.counts(t); c != (counts{}) {
		t.Errorf("rows %+v, want none", c)
	}
}

// On a database that holds the demo, Load puts back what is missing of it
// (a load interrupted after the organisation was created leaves no user).
func TestLoadCompletesTheDemoPlatform(t *testing.T) {
	t.Parallel()
	path := testdb.SQLitePath(t)
	f := newFixtureAt(t, path)
	if !f.load(t) {
		t.Fatal("first Load reported false")
	}
	f.exec(t, path, `DELETE FROM users`)
	if !f.load(t) {
		t.Fatal("Load on the demo database without the demo user reported false")
	}
	f.checkLoaded(t)
}

// Decline refuses a demo database to a server on a public address, and
// keeps any other database, an empty one included, from becoming one
// later: a server that started on it with the demo loads nothing.
func TestDecline(t *testing.T) {
	t.Parallel()
	decline := func(f *fixture) bool {
		t.Helper()
		holds, err := demo.Decline(t.Context(), f.stores.Tenancy)
		if err != nil {
			t.Fatal(err)
		}
		return holds
	}
	demoDB := newFixture(t)
	if !demoDB.load(t) {
		t.Fatal("the demo did not load into an empty database")
	}
	if !decline(demoDB) {
		t.Fatal("Decline does not see the demo")
	}

	empty := newFixture(t)
	if decline(empty) {
		t.Fatal("an empty database holds the demo")
	}
	if empty.load(t) {
		t.Fatal("the demo loaded into a database a public server declined")
	}
	if c := empty.counts(t); c != (counts{}) {
		t.Errorf("rows %+v after a declined load, want none", c)
	}
	if decline(empty) {
		t.Fatal("Decline changed its mind")
	}
}
