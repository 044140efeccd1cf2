package rpcapi_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/idempotency"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/webhook"
)

// enrich puts a row in every Netflix and OCP table beyond what the demo
// loads (devices, redemptions, acknowledgements, reference numbers, OCP
// tokens), and checks that no table is empty, so that a reset that forgot a
// table would show.
func (e *env) enrich() {
	e.t.Helper()
	ctx := context.Background()
	caller := carebridge.Caller{OperatorID: e.op.ID, OrganisationID: e.op.OrganisationID, Username: "test"}
	nf := e.demo.Netflix
	// An endpoint taking every event: the changes below write the outbox.
	// It is platform data, which the reset keeps.
	if _, err := e.stores.Tenancy.CreateEndpoint(ctx, webhook.Endpoint{
		OperatorID: e.op.ID, URL: "http://127.0.0.1:9/hooks", Events: webhook.EventTypes, CreatedAt: time.Now(),
	}, "whsec_test"); err != nil {
		e.t.Fatalf("CreateEndpoint: %v", err)
	}
	if failed, err := nf.RegisterDevices(ctx, caller, carebridge.GroupIdentifier{Name: e.op.Name}, []string{"ESN-TEST-0001"}); err != nil || len(failed) != 0 {
		e.t.Fatalf("RegisterDevices = %v, %v", failed, err)
	}
	if _, err := nf.Create(ctx, caller, netflix.CreateRequest{Customer: "reset-test", Channel: "OTHER", PromotionCode: "14"}); err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	if _, err := nf.Transition(ctx, caller, "1pci26", netflix.ActionSuspend); err != nil {
		e.t.Fatalf("suspend: %v", err)
	}
	if failed, err := nf.AcknowledgeCharges(ctx, caller, []netflix.Ack{{Number: "I00002662", Customer: "pci150", ReferenceNumber: "REF-1"}}); err != nil || len(failed) != 0 {
		e.t.Fatalf("AcknowledgeCharges = %v, %v", failed, err)
	}
	day := time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := nf.Ingest(ctx, e.op.ID, []netflix.NewCharge{{
		PartnerChargeID: "reset-test-1", Customer: "pci150", Amount: money.Amount{Minor: 599, Currency: "USD"},
		PaidThroughDate: day, ReceivedOn: day,
	}}, "report-1")
	if err != nil || len(res) != 1 || res[0].Err != nil {
		e.t.Fatalf("Ingest = %+v, %v", res, err)
	}
	// Settled, the demo's charges give their customers approved prices.
	if _, err := nf.Store.SettleCharges(ctx, 100, day, netflix.Settlement); err != nil {
		e.t.Fatalf("SettleCharges: %v", err)
	}
	if _, err := e.demo.OCP.IssueToken(ctx, "app-88", "demo-secret"); err != nil {
		e.t.Fatalf("IssueToken: %v", err)
	}
	// An idempotent create's answer, kept for its retries.
	user, err := e.stores.Tenancy.UserByName(ctx, e.op.OrganisationID, demo.Username)
	if err != nil {
		e.t.Fatal(err)
	}
	ticket, _, err := e.app.Idempotency.Begin(ctx, user.ID, "reset-test", idempotency.Fingerprint("create", []byte("{}")))
	if err != nil {
		e.t.Fatalf("Begin: %v", err)
	}
	if err := e.app.Idempotency.Finish(ctx, ticket, idempotency.Answer{Status: 200, Body: []byte("{}")}); err != nil {
		e.t.Fatalf("Finish: %v", err)
	}
	for _, table := range append(e.tables("netflix_"), e.tables("ocp_")...) {
		if e.count(table) == 0 {
			e.t.Fatalf("%s is empty before the reset: the test would prove nothing about it", table)
		}
	}
}

// snapshot counts the rows of the Netflix, OCP and platform tables.
type snapshot struct{ netflix, ocp, platform map[string]int }

func (e *env) snapshot() snapshot {
	e.t.Helper()
	return snapshot{e.counts(e.tables("netflix_")), e.counts(e.tables("ocp_")), e.counts(platformTables)}
}

// empty fails unless every count is zero.
func empty(t *testing.T, what string, counts map[string]int) {
	t.Helper()
	for _, table := range slices.Sorted(maps.Keys(counts)) {
		if counts[table] != 0 {
			t.Errorf("%s: %s still has %d rows", what, table, counts[table])
		}
	}
}

func TestFactoryResetNetflix(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.enrich()
	before := e.snapshot()
	e.call("Netflix.1.factoryReset", nil).isResult(t, "1", "null")
	after := e.snapshot()
	empty(t, "after Netflix.1.factoryReset", after.netflix)
	sameCounts(t, "OCP data after Netflix.1.factoryReset", after.ocp, before.ocp)
	sameCounts(t, "platform data after Netflix.1.factoryReset", after.platform, before.platform)
	if got := e.auditSubjects(); strings.Join(got, ",") != "Netflix" {
		t.Fatalf("audit subjects = %v, want [Netflix]", got)
	}
	// The admin token still works; a second reset of nothing succeeds too.
	e.call("Netflix.1.factoryReset", nil).isResult(t, "1", "null")
	if got := e.auditSubjects(); strings.Join(got, ",") != "Netflix,Netflix" {
		t.Fatalf("audit subjects = %v", got)
	}
}

func TestFactoryResetOCP(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.enrich()
	before := e.snapshot()
	e.call("OCP.1.factoryReset", nil).isResult(t, "1", "null")
	after := e.snapshot()
	empty(t, "after OCP.1.factoryReset", after.ocp)
	sameCounts(t, "Netflix data after OCP.1.factoryReset", after.netflix, before.netflix)
	sameCounts(t, "platform data after OCP.1.factoryReset", after.platform, before.platform)
	if got := e.auditSubjects(); strings.Join(got, ",") != "OCP" {
		t.Fatalf("audit subjects = %v, want [OCP]", got)
	}
}

func TestFactoryResetAll(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"CustomerCareOperations.1.factoryReset", "CustomerCareOperations.1.factoryreset"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.enrich()
			before := e.snapshot()
			e.call(method, nil).isResult(t, "1", "null")
			after := e.snapshot()
			empty(t, "Netflix after "+method, after.netflix)
			empty(t, "OCP after "+method, after.ocp)
			sameCounts(t, "platform data after "+method, after.platform, before.platform)
			got := e.auditSubjects()
			slices.Sort(got)
			if strings.Join(got, ",") != "Netflix,OCP" {
				t.Fatalf("audit subjects = %v, want one record for Netflix and one for OCP", got)
			}
		})
	}
}

func TestFactoryResetAtomic(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.enrich()
	// Promotions are deleted last: by then charges and subscriptions are
	// gone inside the transaction, which must roll back whole.
	if _, err := e.db().Exec(`CREATE TRIGGER fail_reset BEFORE DELETE ON netflix_promotions BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	for _, method := range []string{"Netflix.1.factoryReset", "CustomerCareOperations.1.factoryReset"} {
		e.call(method, nil).isError(t, "1", -32603, "")
		sameCounts(t, "after the failed "+method, e.snapshot().netflix, before.netflix)
		if got := e.auditSubjects(); len(got) != 0 {
			t.Fatalf("a failed %s left audit records %v", method, got)
		}
	}
	sameCounts(t, "OCP after the failed resets", e.snapshot().ocp, before.ocp)

	// Without the fault, the same reset succeeds: the trigger was the only
	// obstacle.
	if _, err := e.db().Exec(`DROP TRIGGER fail_reset`); err != nil {
		t.Fatal(err)
	}
	e.call("Netflix.1.factoryReset", nil).isResult(t, "1", "null")
	empty(t, "after the reset", e.snapshot().netflix)
	if got := e.auditSubjects(); strings.Join(got, ",") != "Netflix" {
		t.Fatalf("audit subjects = %v, want [Netflix]", got)
	}
}

func TestFactoryResetAtomicOCP(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.enrich()
	// ocp_customers is deleted last.
	if _, err := e.db().Exec(`CREATE TRIGGER fail_reset BEFORE DELETE ON ocp_customers BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	e.call("OCP.1.factoryReset", nil).isError(t, "1", -32603, "")
	after := e.snapshot()
	sameCounts(t, "OCP after the failed reset", after.ocp, before.ocp)
	sameCounts(t, "Netflix after the failed reset", after.netflix, before.netflix)
	if got := e.auditSubjects(); len(got) != 0 {
		t.Fatalf("a failed reset left audit records %v", got)
	}
}

func TestFactoryResetDisabled(t *testing.T) {
	t.Parallel()
	e := setup(t, resetDisabled)
	before := e.snapshot()
	for _, method := range []string{"Netflix.1.factoryReset", "OCP.1.factoryReset", "CustomerCareOperations.1.factoryReset", "CustomerCareOperations.1.factoryreset"} {
		e.call(method, nil).isError(t, "1", -32604, msgNotAllowed)
	}
	after := e.snapshot()
	sameCounts(t, "Netflix", after.netflix, before.netflix)
	sameCounts(t, "OCP", after.ocp, before.ocp)
	if got := e.auditSubjects(); len(got) != 0 {
		t.Fatalf("audit records %v", got)
	}
	// The rest of the plane works.
	e.must("Controller.1.status", nil)
}

// demoNetflix checks that the Netflix part of the demo data set is in
// place, and nothing else.
func (e *env) demoNetflix() {
	e.t.Helper()
	db := e.db()
	rows, err := db.Query(`SELECT code, name FROM netflix_promotions ORDER BY effective_from`)
	if err != nil {
		e.t.Fatal(err)
	}
	var promos []string
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			e.t.Fatal(err)
		}
		promos = append(promos, code+" "+name)
	}
	rows.Close()
	if strings.Join(promos, ",") != "14 Test,15 Test_2" {
		e.t.Fatalf("promotions = %v, want 14 Test and 15 Test_2", promos)
	}
	var customers []string
	rows, err = db.Query(`SELECT customer_identifier FROM netflix_subscriptions WHERE life_cycle_state = 'EFFECTIVE' ORDER BY customer_identifier`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			e.t.Fatal(err)
		}
		customers = append(customers, c)
	}
	rows.Close()
	if strings.Join(customers, ",") != "1pci26,1pci28,1pci30,pci150" {
		e.t.Fatalf("EFFECTIVE subscriptions for %v, want the demo's four customers", customers)
	}
	if n := e.count("netflix_subscriptions"); n != 4 {
		e.t.Fatalf("%d subscriptions, want the demo's 4", n)
	}
	if n := e.count("netflix_charges"); n != 5 {
		e.t.Fatalf("%d charges, want the demo's 5", n)
	}
}

// demoOCP checks that the OCP part of the demo data set is in place.
func (e *env) demoOCP() {
	e.t.Helper()
	if n := e.count("ocp_customers"); n != 2 {
		e.t.Fatalf("%d OCP customers, want the demo's 2", n)
	}
	if n := e.count("ocp_applications"); n != 1 {
		e.t.Fatalf("%d OCP applications, want the demo's 1", n)
	}
	if n := e.count("ocp_application_customers"); n != 1 {
		e.t.Fatalf("%d OCP grants, want the demo's 1", n)
	}
}

func TestFactoryResetRestoresDemo(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"Netflix.1.factoryReset", "OCP.1.factoryReset", "CustomerCareOperations.1.factoryReset"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.restoreDemo()
			e.enrich() // beyond the demo: must go
			before := e.snapshot()
			e.call(method, nil).isResult(t, "1", "null")
			after := e.snapshot()
			sameCounts(t, "platform data", after.platform, before.platform)
			if method != "OCP.1.factoryReset" {
				e.demoNetflix()
				if n := e.count("netflix_devices"); n != 0 {
					t.Errorf("Netflix devices left: %d", n)
				}
			} else {
				sameCounts(t, "Netflix data after an OCP reset", after.netflix, before.netflix)
			}
			if method != "Netflix.1.factoryReset" {
				e.demoOCP()
				if n := e.count("ocp_tokens"); n != 0 {
					t.Errorf("OCP tokens left: %d", n)
				}
			} else {
				sameCounts(t, "OCP data after a Netflix reset", after.ocp, before.ocp)
			}
			want := map[string]string{
				"Netflix.1.factoryReset":                "Netflix",
				"OCP.1.factoryReset":                    "OCP",
				"CustomerCareOperations.1.factoryReset": "Netflix,OCP",
			}[method]
			got := e.auditSubjects()
			slices.Sort(got)
			if strings.Join(got, ",") != want {
				t.Fatalf("audit subjects = %v, want %s", got, want)
			}
		})
	}
}

// factoryReset takes no parameters. Absent, null and {} are the forms of
// "none" and reset; anything else is -32602 and wipes nothing.
func TestFactoryResetParams(t *testing.T) {
	t.Parallel()
	methods := []string{"Netflix.1.factoryReset", "OCP.1.factoryReset", "CustomerCareOperations.1.factoryReset", "CustomerCareOperations.1.factoryreset"}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.enrich()
		before := e.snapshot()
		for _, method := range methods {
			for _, params := range []string{`{"unexpected":1}`, `{"callsign":"Netflix"}`, `[]`, `[1]`, `"x"`, `1`, `true`, `{"":null}`} {
				body := `{"jsonrpc":"2.0","id":3,"method":"` + method + `","params":` + params + `}`
				parseAnswer(t, e.postRPC("/jsonrpc", body)).isError(t, "3", -32602, msgInvalidParams)
			}
		}
		after := e.snapshot()
		sameCounts(t, "Netflix after refused resets", after.netflix, before.netflix)
		sameCounts(t, "OCP after refused resets", after.ocp, before.ocp)
		if got := e.auditSubjects(); len(got) != 0 {
			t.Fatalf("refused resets left audit records %v", got)
		}
	})
	for name, params := range map[string]string{"absent": "", "null": `,"params":null`, "empty": `,"params":{}`, "empty with space": `,"params":{ }`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.enrich()
			for i, method := range methods {
				body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"%s"%s}`, i, method, params)
				parseAnswer(t, e.postRPC("/jsonrpc", body)).isResult(t, fmt.Sprint(i), "null")
			}
			after := e.snapshot()
			empty(t, "Netflix", after.netflix)
			empty(t, "OCP", after.ocp)
			if got := strings.Join(e.auditSubjects(), ","); got != "Netflix,OCP,Netflix,OCP,Netflix,OCP" {
				t.Fatalf("audit subjects = %s, want one record per plugin of every reset", got)
			}
		})
	}
}

// The orchestrator resets every plugin or none: with one of them
// deactivated it answers -31002, as that plugin would, and wipes nothing.
func TestFactoryResetAllRefusesDeactivated(t *testing.T) {
	t.Parallel()
	for _, callsign := range []string{"Netflix", "OCP"} {
		t.Run(callsign, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.enrich()
			restored := 0
			e.app.AfterReset = func(context.Context) error { restored++; return nil }
			deactivate(callsign)(e)
			before := e.snapshot()
			for _, method := range []string{"CustomerCareOperations.1.factoryReset", "CustomerCareOperations.1.factoryreset"} {
				e.call(method, nil).isError(t, "1", -31002, msgNotActive)
			}
			after := e.snapshot()
			sameCounts(t, "Netflix after the refused reset", after.netflix, before.netflix)
			sameCounts(t, "OCP after the refused reset", after.ocp, before.ocp)
			if got := e.auditSubjects(); len(got) != 0 {
				t.Fatalf("a refused reset left audit records %v", got)
			}
			if restored != 0 {
				t.Fatalf("AfterReset ran %d times after a refused reset", restored)
			}

			// Activated again, the same call resets both.
			e.must("Controller.1.activate", map[string]any{"callsign": callsign})
			e.call("CustomerCareOperations.1.factoryReset", nil).isResult(t, "1", "null")
			after = e.snapshot()
			empty(t, "Netflix", after.netflix)
			empty(t, "OCP", after.ocp)
			got := e.auditSubjects()
			slices.Sort(got)
			if strings.Join(got, ",") != "Netflix,OCP" || restored != 1 {
				t.Fatalf("audit subjects = %v, AfterReset ran %d times; want Netflix and OCP, and one restore", got, restored)
			}
		})
	}
}

// Both plugins are reset in one transaction: a failure in OCP's last
// delete, after every Netflix delete, leaves both as they were.
func TestFactoryResetAllAtomic(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.enrich()
	if _, err := e.db().Exec(`CREATE TRIGGER fail_reset BEFORE DELETE ON ocp_customers BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	e.call("CustomerCareOperations.1.factoryReset", nil).isError(t, "1", -32603, "")
	after := e.snapshot()
	sameCounts(t, "Netflix after the failed reset", after.netflix, before.netflix)
	sameCounts(t, "OCP after the failed reset", after.ocp, before.ocp)
	if got := e.auditSubjects(); len(got) != 0 {
		t.Fatalf("a failed reset left audit records %v", got)
	}
}
