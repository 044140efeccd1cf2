package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
)

// demoReplica is what one replica started with the demo got: its stores,
// its server, and the answer of its demo load.
type demoReplica struct {
	stores *server.Stores
	app    *server.Server
	op     carebridge.Operator
	loaded bool
	err    error
}

// startDemoReplicas starts n replicas on dbURL at once, each doing what
// serve --demo does before it listens: open (and migrate) the stores,
// build the server, load the demo. It then serves each, as startReplica
// does.
func startDemoReplicas(t *testing.T, dbURL string, now func() time.Time, n int) ([]*replica, []demoReplica) {
	t.Helper()
	started := make([]demoReplica, n)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for i := range started {
		wg.Go(func() {
			<-begin
			ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
			defer cancel()
			r := &started[i]
			if r.stores, r.err = server.OpenStores(ctx, dbURL); r.err != nil {
				return
			}
			if r.app, r.err = server.New(r.stores, server.Config{Now: now, TokenCacheTTL: time.Hour}); r.err != nil {
				return
			}
			r.op, r.loaded, r.err = r.app.LoadDemo(ctx)
		})
	}
	close(begin)
	wg.Wait()
	for _, r := range started {
		if r.stores != nil {
			t.Cleanup(func() { r.stores.Close() })
		}
	}
	replicas := make([]*replica, n)
	for i, r := range started {
		name := string(rune('A' + i))
		if r.err != nil {
			t.Fatalf("replica %s: start with the demo: %v", name, r.err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := r.app.Start(ctx)
		srv := httptest.NewServer(r.app.Handler)
		t.Cleanup(func() { srv.Close(); cancel(); stopped() })
		replicas[i] = &replica{name: name, app: r.app, stores: r.stores, srv: srv}
	}
	return replicas, started
}

// demoRows counts the rows of one complete demo load.
func demoRows(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	out := map[string]int{}
	for _, table := range []string{"organisations", "operators", "users", "admin_tokens",
		"netflix_promotions", "netflix_subscriptions", "netflix_charges", "ocp_customers", "ocp_applications"} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// Two replicas started with the demo on one PostgreSQL database at the
// same moment both find the demo loaded (neither takes the other's half
// done load for other data), the data is there once, and a factory reset
// through either replica brings the demo back.
func TestReplicasStartingWithTheDemoAtOnce(t *testing.T) {
	t.Parallel()
	dbURL := testdb.PostgresURL(t)
	base := time.Now().UTC().Truncate(time.Second)
	now := func() time.Time { return base }
	rs, started := startDemoReplicas(t, dbURL, now, 2)
	for i, r := range started {
		if !r.loaded {
			t.Fatalf("replica %s reports the demo not loaded (other data) while the other loads it", rs[i].name)
		}
		if r.op != started[0].op || r.op.Name != demo.Operator {
			t.Fatalf("replica %s: demo operator %+v, replica A: %+v", rs[i].name, r.op, started[0].op)
		}
	}

	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	want := map[string]int{"organisations": 1, "operators": 1, "users": 3, "admin_tokens": 1,
		"netflix_promotions": len(demo.Promotions), "netflix_subscriptions": len(demo.Customers),
		"netflix_charges": len(demo.Charges), "ocp_customers": len(demo.OCPCustomers), "ocp_applications": 1}
	check := func(when string) {
		t.Helper()
		got := demoRows(t, pool)
		for table, n := range want {
			if got[table] != n {
				t.Fatalf("%s: %d rows in %s, want %d (all: %v)", when, got[table], table, n, got)
			}
		}
		// Each replica serves the demo: the demo user logs in and sees the
		// promotions and a customer's subscription.
		for _, r := range rs {
			token := r.login(t, demo.Organisation, demo.Username, demo.Password)
			var promotions []struct{ Code string }
			r.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": token}).ok(t, &promotions)
			if len(promotions) != len(demo.Promotions) {
				t.Fatalf("%s: replica %s lists %d promotions, want %d", when, r.name, len(promotions), len(demo.Promotions))
			}
			r.show(t, token, demo.Customers[0]).ok(t, nil)
		}
	}
	check("after both started")

	for _, method := range []string{"CustomerCareOperations.1.factoryReset", "Netflix.1.factoryReset", "OCP.1.factoryReset"} {
		for _, r := range rs {
			if got := r.rpcOK(t, method, nil); string(got) != "null" {
				t.Fatalf("replica %s: %s answered %s", r.name, method, got)
			}
			check(method + " through " + r.name)
		}
	}
}

// Replicas started later follow what was decided first: on the demo
// database the late replica keeps the demo and restores it after a reset;
// a database that held other data is never given the demo, not even once
// that data is gone.
func TestLateDemoReplicaFollowsTheDecision(t *testing.T) {
	t.Parallel()
	base := time.Now().UTC().Truncate(time.Second)
	now := func() time.Time { return base }

	dbURL := testdb.PostgresURL(t)
	startDemoReplicas(t, dbURL, now, 1)
	late, started := startDemoReplicas(t, dbURL, now, 1)
	if !started[0].loaded {
		t.Fatal("a replica started later on the demo database reports the demo not loaded")
	}
	late[0].rpcOK(t, "Netflix.1.factoryReset", nil)
	token := late[0].login(t, demo.Organisation, demo.Username, demo.Password)
	late[0].show(t, token, demo.Customers[0]).ok(t, nil)

	other := testdb.PostgresURL(t)
	stores, err := server.OpenStores(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stores.Close() })
	if _, err := stores.Tenancy.CreateOrganisation(context.Background(), "acme", base); err != nil {
		t.Fatal(err)
	}
	rs, started := startDemoReplicas(t, other, now, 2)
	for i, r := range started {
		if r.loaded {
			t.Fatalf("replica %s loaded the demo into a database holding other data", rs[i].name)
		}
	}
	if _, err := stores.Tenancy.OrganisationByName(context.Background(), demo.Organisation); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("organisation demo in a database holding other data: %v", err)
	}

	pool, err := pgxpool.New(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(context.Background(), `DELETE FROM organisations`); err != nil {
		t.Fatal(err)
	}
	_, started = startDemoReplicas(t, other, now, 1)
	if started[0].loaded {
		t.Fatal("the demo was loaded into a database once decided to hold other data")
	}
}
