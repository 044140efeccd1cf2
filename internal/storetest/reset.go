package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
)

func testAdminTokens(t *testing.T, open Open) {
	s, ctx := open(t).Tenancy, t.Context()
	hash := make([]byte, 32)
	hash[0] = 7
	if err := s.CreateAdminToken(ctx, carebridge.AdminToken{Name: "care-desk", Role: carebridge.RoleAdmin, CreatedAt: base}, hash); err != nil {
		t.Fatal(err)
	}
	if tok := ok(s.AdminToken(ctx, hash)).must(t); tok.Name != "care-desk" {
		t.Fatalf("AdminToken = %+v", tok)
	}
	_, err := s.AdminToken(ctx, make([]byte, 32))
	wantCode(t, err, carebridge.ENOTFOUND)
	wantCode(t, s.CreateAdminToken(ctx, carebridge.AdminToken{Name: "care-desk", Role: carebridge.RoleAdmin, CreatedAt: base}, make([]byte, 32)), carebridge.ECONFLICT) // same name
	wantCode(t, s.CreateAdminToken(ctx, carebridge.AdminToken{Name: "other", Role: carebridge.RoleAdmin, CreatedAt: base}, hash), carebridge.ECONFLICT)                 // same token
}

// fill puts a row in most of the Netflix and OCP tables and returns the
// charge ingested.
func fill(t *testing.T, tn *tenant) netflix.IngestResult {
	t.Helper()
	s, o, ctx := tn.stores.Netflix, tn.stores.OCP, tn.ctx
	ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "14", Name: "Test", EffectiveFrom: base.AddDate(-1, 0, 0)}, base)).must(t)
	ok(s.CreateSubscription(ctx, newSub(tn, "c1", "14", base))).must(t)
	res := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "sig", base)).must(t)
	ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
	ok(s.AcknowledgeCharges(ctx, tn.op.ID, []netflix.Ack{{Number: netflix.ChargeNumber(res[0].ChargeID), Customer: "c1", ReferenceNumber: "R"}}, tn.caller, base)).must(t)
	ok(s.RegisterDevices(ctx, tn.op.ID, []string{"ESN-1"}, tn.caller, base)).must(t)
	if err := o.SaveCustomers(ctx, []ocp.Profile{{Customer: ocp.Customer{ID: 1649, NSID: 1, Name: "Acme"}, EnrollmentLevel: ocp.Premium, OCPServices: []string{}}}, base); err != nil {
		t.Fatal(err)
	}
	ok(o.CreateApplication(ctx, ocp.Application{AppID: 88, Name: "a", ClientID: "app-88", ClientSecretHash: "x", CreatedAt: base}, []int64{1649})).must(t)
	return res[0]
}

func testFactoryReset(t *testing.T, open Open) {
	tn := setup(t, open)
	s, o, ctx := tn.stores.Netflix, tn.stores.OCP, tn.ctx
	first := fill(t, tn)
	at := base.Add(time.Hour)
	if err := tn.stores.FactoryReset(ctx, "admin:ops", at, []string{netflix.Callsign}); err != nil {
		t.Fatal(err)
	}
	// Netflix data is gone…
	if ps := ok(s.Promotions(ctx, tn.op.ID)).must(t); len(ps) != 0 {
		t.Fatalf("promotions after reset: %+v", ps)
	}
	_, err := s.LatestSubscription(ctx, tn.op.ID, "c1", base)
	wantCode(t, err, carebridge.ENOTFOUND)
	if cs := list(t, tn, tn.op.ID, true); len(cs) != 0 {
		t.Fatalf("charges after reset: %v", numbers(cs))
	}
	if failed := ok(s.UnregisterDevices(ctx, tn.op.ID, []string{"ESN-1"})).must(t); len(failed) != 1 {
		t.Fatal("a device survived the reset")
	}
	// …and may be created again: the reference is free, numbers are not
	// reused.
	again := ok(s.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, "sig", base)).must(t)
	if again[0].Duplicate || again[0].ChargeID <= first.ChargeID {
		t.Fatalf("after reset: %+v (was %d)", again[0], first.ChargeID)
	}
	// The customer's approved prices went with their charges.
	ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
	if v := ok(s.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t); len(v.Prices) != 0 {
		t.Fatalf("prices after reset: %+v", v.Prices)
	}
	// OCP and platform data stay.
	if p := ok(o.Profile(ctx, 1649)).must(t); p.Name != "Acme" {
		t.Fatalf("OCP customer after a Netflix reset: %+v", p)
	}
	ok(tn.stores.Tenancy.UserForLogin(ctx, "acme", "alice")).must(t)
	ok(tn.stores.Tenancy.OperatorByName(ctx, tn.org.ID, "op1")).must(t)

	if err := tn.stores.FactoryReset(ctx, "admin:ops", at, []string{ocp.Callsign}); err != nil {
		t.Fatal(err)
	}
	_, err = o.Profile(ctx, 1649)
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = o.ApplicationByClientID(ctx, "app-88")
	wantCode(t, err, carebridge.ENOTFOUND)

	log := ok(tn.stores.Tenancy.AuditLog(ctx)).must(t)
	want := []carebridge.AuditEntry{
		{At: at, Actor: "admin:ops", Action: "factory-reset", Subject: netflix.Callsign},
		{At: at, Actor: "admin:ops", Action: "factory-reset", Subject: ocp.Callsign},
	}
	if len(log) != len(want) {
		t.Fatalf("audit log %+v, want %+v", log, want)
	}
	for i := range want {
		if log[i] != want[i] {
			t.Fatalf("audit %d = %+v, want %+v", i, log[i], want[i])
		}
	}
}

func testPluginStates(t *testing.T, open Open) {
	s, ctx := open(t).Tenancy, t.Context()
	if states := ok(s.PluginStates(ctx)).must(t); len(states) != 0 {
		t.Fatalf("fresh states %v", states)
	}
	if err := s.SetPluginState(ctx, "Netflix", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPluginState(ctx, "OCP", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPluginState(ctx, "Netflix", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPluginState(ctx, "OCP", false); err != nil {
		t.Fatal(err)
	}
	states := ok(s.PluginStates(ctx)).must(t)
	if len(states) != 2 || !states["Netflix"] || states["OCP"] {
		t.Fatalf("states %v, want Netflix on and OCP off", states)
	}
}

// Reset is an engine's factory reset of several plugins in one
// transaction, with one audit record per plugin, in the order given.
type Reset func(ctx context.Context, actor string, at time.Time, callsigns []string) error

// FactoryResetTogether checks a reset of both plugins at once on s, a
// fresh database: all of it or none of it. fail injects a fault that
// makes deleting the rows of table fail until heal is called.
func FactoryResetTogether(t *testing.T, s Stores, fail func(table string) (heal func())) {
	tn := setup(t, func(*testing.T) Stores { return s })
	reset := s.FactoryReset
	n, o, ctx := s.Netflix, s.OCP, tn.ctx
	fill(t, tn)
	both := []string{netflix.Callsign, ocp.Callsign}
	at := base.Add(time.Hour)

	// Unchanged: the Netflix and OCP rows written by fill, and no audit.
	checks := 0
	untouched := func(what string) {
		t.Helper()
		if ps := ok(n.Promotions(ctx, tn.op.ID)).must(t); len(ps) != 1 {
			t.Fatalf("%s: promotions %+v, want the one", what, ps)
		}
		ok(n.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t)
		checks++
		again := ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{charge("p1", "c1", 599, base)}, fmt.Sprintf("check-%d", checks), base)).must(t)
		if !again[0].Duplicate {
			t.Fatalf("%s: the charge is gone", what)
		}
		if p := ok(o.Profile(ctx, 1649)).must(t); p.Name != "Acme" {
			t.Fatalf("%s: OCP customer %+v", what, p)
		}
		ok(o.ApplicationByClientID(ctx, "app-88")).must(t)
		if log := ok(s.Tenancy.AuditLog(ctx)).must(t); len(log) != 0 {
			t.Fatalf("%s: audit log %+v, want none", what, log)
		}
	}

	// A plugin without data here: refused before anything is deleted.
	if err := reset(ctx, "admin:ops", at, []string{netflix.Callsign, "Nobody"}); err == nil {
		t.Fatal("a reset naming an unknown plugin succeeded")
	}
	untouched("after a reset naming an unknown plugin")

	// OCP's last table fails, after Netflix's deletes and OCP's others
	// have run in the transaction: everything is rolled back.
	heal := fail("ocp_customers")
	if err := reset(ctx, "admin:ops", at, both); err == nil {
		t.Fatal("the reset succeeded despite the fault")
	}
	untouched("after the failed reset")
	heal()

	if err := reset(ctx, "admin:ops", at, both); err != nil {
		t.Fatal(err)
	}
	if ps := ok(n.Promotions(ctx, tn.op.ID)).must(t); len(ps) != 0 {
		t.Fatalf("promotions after the reset: %+v", ps)
	}
	if cs := list(t, tn, tn.op.ID, true); len(cs) != 0 {
		t.Fatalf("charges after the reset: %v", numbers(cs))
	}
	_, err := o.Profile(ctx, 1649)
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = o.ApplicationByClientID(ctx, "app-88")
	wantCode(t, err, carebridge.ENOTFOUND)
	ok(s.Tenancy.OperatorByName(ctx, tn.org.ID, "op1")).must(t)
	log := ok(s.Tenancy.AuditLog(ctx)).must(t)
	want := []carebridge.AuditEntry{
		{At: at, Actor: "admin:ops", Action: "factory-reset", Subject: netflix.Callsign},
		{At: at, Actor: "admin:ops", Action: "factory-reset", Subject: ocp.Callsign},
	}
	if len(log) != len(want) || log[0] != want[0] || log[1] != want[1] {
		t.Fatalf("audit log %+v, want %+v", log, want)
	}
}
