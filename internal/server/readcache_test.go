package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// startServer is a replica on a database of any engine, without the
// event bus startReplica requires.
func startServer(t *testing.T, db string, now func() time.Time) *replica {
	t.Helper()
	stores := testserver.OpenStores(t, db)
	app, err := server.New(stores, server.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.Server{App: app, Stores: stores}
	return &replica{name: "A", app: app, stores: stores, srv: srv.Serve(t)}
}

type shown struct {
	Number     string `json:"subscription_number"`
	State      string `json:"life_cycle_state"`
	Promotions []struct {
		Code string `json:"code"`
	} `json:"promotions_set"`
	Prices []struct {
		FormattedPrice string
	} `json:"prices_set"`
}

// Each write that changes what subscriptions/show answers, by any face,
// the care plane or settlement, is seen by the show that follows its
// answer, though every show before it was answered from the cache.
func TestShowSeesEveryWrite(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) { t.Parallel(); testShowSeesEveryWrite(t, testdb.SQLitePath(t), true) })
	t.Run("PostgreSQL", func(t *testing.T) { t.Parallel(); testShowSeesEveryWrite(t, testdb.PostgresURL(t), false) })
}

// testShowSeesEveryWrite runs on db, whose engine caches shows or not.
func testShowSeesEveryWrite(t *testing.T, db string, cached bool) {
	clock := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
	r := startServer(t, db, clock.Now)
	ctx := context.Background()
	op, loaded, err := demo.Load(ctx, demo.Services{Tenancy: r.stores.Tenancy, Netflix: r.app.Netflix, OCP: r.app.OCP}, clock.Now())
	if err != nil || !loaded {
		t.Fatalf("demo.Load = %v, %v", loaded, err)
	}
	token := r.login(t, demo.Organisation, demo.Username, demo.Password)
	agent := carebridge.Caller{UserID: 1, Username: "agent", OperatorID: op.ID, OrganisationID: op.OrganisationID}
	show := func(customer string) shown {
		t.Helper()
		var s shown
		r.show(t, token, customer).ok(t, &s)
		return s
	}
	// twice is show called twice, so that the second is a hit.
	twice := func(customer string) shown { t.Helper(); show(customer); return show(customer) }
	post := func(method, customer string, more map[string]any) {
		t.Helper()
		params := map[string]any{"token": token, "billing_system_customer_identifier": customer}
		for k, v := range more {
			params[k] = v
		}
		r.mustCRM(t, http.MethodPost, "netflix/subscriptions/"+method, params).ok(t, nil)
	}
	const c = "cache-1"

	// A customer without a subscription, then created with a promotion.
	r.show(t, token, c).fails(t, http.StatusNotFound, "NOT_FOUND")
	r.show(t, token, c).fails(t, http.StatusNotFound, "NOT_FOUND")
	post("create", c, map[string]any{"promotion_code": "14", "channel": "OTHER"})
	if s := twice(c); s.State != "EFFECTIVE" || len(s.Promotions) != 1 || s.Promotions[0].Code != "14" {
		t.Fatalf("after create: %+v", s)
	}

	post("suspend", c, nil)
	if s := twice(c); s.State != "NOT_EFFECTIVE" {
		t.Fatalf("after suspend: %+v", s)
	}
	if _, err := r.app.Netflix.CareTransition(ctx, agent, c, netflix.ActionUnsuspend, "Paid."); err != nil {
		t.Fatal(err)
	}
	if s := twice(c); s.State != "EFFECTIVE" {
		t.Fatalf("after the care plane's unsuspend: %+v", s)
	}

	// The operator accepts a charge (a price), and declines another (which
	// ends that customer's subscription).
	decide := func(method, set, number, customer string) {
		t.Helper()
		r.mustCRM(t, http.MethodPost, "netflix/charges/"+method, map[string]any{"token": token,
			set: []any{map[string]any{"number": number, "billing_system_customer_identifier": customer}}}).ok(t, nil)
	}
	if s := twice("pci150"); len(s.Prices) != 0 {
		t.Fatalf("pci150 before its charge was accepted: %+v", s)
	}
	decide("accept", "accepted_charges_set", "I00002662", "pci150")
	if s := twice("pci150"); len(s.Prices) != 1 || s.Prices[0].FormattedPrice == "" {
		t.Fatalf("pci150 after its charge was accepted: %+v", s)
	}
	if s := twice("1pci28"); s.State != "EFFECTIVE" {
		t.Fatalf("1pci28 before its charge was declined: %+v", s)
	}
	decide("decline", "declined_charges_set", "I00002778", "1pci28")
	if s := twice("1pci28"); s.State != "CANCELLED" {
		t.Fatalf("1pci28 after its charge was declined: %+v", s)
	}

	// Settlement approves a charge: the customer's prices change.
	if _, err := r.app.Netflix.Ingest(ctx, op.ID, []netflix.NewCharge{{PartnerChargeID: "cache-charge", Customer: c,
		Amount: money.Amount{Minor: 1234, Currency: "EUR"}, ReceivedOn: clock.Now()}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.Processor.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if s := twice(c); len(s.Prices) != 1 {
		t.Fatalf("after settlement: %+v", s)
	}

	post("cancel", c, nil)
	if s := twice(c); s.State != "CANCELLED" {
		t.Fatalf("after cancel: %+v", s)
	}
	post("create", c, map[string]any{"promotion_code": "15", "channel": "OTHER"})
	s := twice(c)
	if s.State != "EFFECTIVE" || len(s.Promotions) != 2 || s.Promotions[1].Code != "15" {
		t.Fatalf("after the second create: %+v", s)
	}

	// The lookback moves with the clock, not with what was cached.
	clock.Advance(11 * 30 * 24 * time.Hour)
	token = r.login(t, demo.Organisation, demo.Username, demo.Password)
	if s := show(c); len(s.Promotions) != 0 || s.Number == "" {
		t.Fatalf("eleven months on: %+v", s)
	}

	// The second show of each pair above came from the cache.
	if cached {
		samples := parseScrape(t, scrape(t, r.srv.URL+"/metrics"))
		if hits := value(t, samples, "carebridge_readcache_requests_total", map[string]string{"cache": "subscriptions", "result": "hit"}); hits < 8 {
			t.Errorf("%v hits, want at least 8", hits)
		}
	}

	r.rpcOK(t, "Netflix.1.factoryReset", nil)
	r.show(t, token, c).fails(t, http.StatusNotFound, "NOT_FOUND")
	r.show(t, token, demo.Customers[0]).fails(t, http.StatusNotFound, "NOT_FOUND")
}
