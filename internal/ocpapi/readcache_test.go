package ocpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"carebridge/internal/ocp"
)

// Each write that changes what an application reads of a customer (a
// customer's create, update or import, a grant, a revoke) is seen by the
// read that follows its answer, though the reads before it were answered
// from the cache.
func TestProfileReadSeesEveryWrite(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	svc := e.app.OCP
	token := e.token()
	const app = 88 // the demo application, granted 1649
	name := func(id string) string {
		t.Helper()
		var c struct{ Name string }
		r := e.get("/v1/ocp/customers/"+id, token)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &c) != nil {
			t.Fatalf("customer %s: HTTP %d %s", id, r.Status, r.Body)
		}
		return c.Name
	}
	// refused is whether the application is refused the customer.
	refused := func(id string) bool {
		t.Helper()
		r := e.get("/v1/ocp/customers/"+id, token)
		return r.Status == http.StatusUnauthorized && strings.Contains(string(r.Body), "Not Authorized")
	}
	missing := func(id string) bool {
		t.Helper()
		return e.get("/v1/ocp/customers/"+id, token).Status == http.StatusNotFound
	}
	twice := func(id string) string { t.Helper(); name(id); return name(id) }

	// 1650 exists, not granted; then granted, renamed, revoked.
	if !refused("1650") || !refused("1650") {
		t.Fatal("1650 read before its grant")
	}
	if err := svc.Grant(ctx, app, []int64{1650}); err != nil {
		t.Fatal(err)
	}
	if got := twice("1650"); got != "Globex Kiosk" {
		t.Fatalf("1650 after its grant: %q", got)
	}
	if err := svc.UpdateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 1650, NSID: 33333334, Name: "Globex Renamed"}, EnrollmentLevel: ocp.None}); err != nil {
		t.Fatal(err)
	}
	if got := twice("1650"); got != "Globex Renamed" {
		t.Fatalf("1650 after its update: %q", got)
	}
	if err := svc.Revoke(ctx, app, []int64{1650}); err != nil {
		t.Fatal(err)
	}
	if !refused("1650") || !refused("1650") {
		t.Fatal("1650 read after its revoke")
	}

	// 4242 granted before it exists, then created.
	if err := svc.Grant(ctx, app, []int64{4242}); err != nil {
		t.Fatal(err)
	}
	if !missing("4242") || !missing("4242") {
		t.Fatal("4242 granted, not created: not 404")
	}
	if err := svc.CreateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 4242, NSID: 1, Name: "Created"}, EnrollmentLevel: ocp.None}); err != nil {
		t.Fatal(err)
	}
	if got := twice("4242"); got != "Created" {
		t.Fatalf("4242 after its create: %q", got)
	}

	// An import renames both.
	content := "id,nsid,name\n1649,33333333,Imported\n4242,1,Imported too\n"
	f, err := ocp.DetectFormat(strings.NewReader(content), "customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	twice("1649")
	if _, err := svc.Import(ctx, f, strings.NewReader(content), nil); err != nil {
		t.Fatal(err)
	}
	if a, b := twice("1649"), twice("4242"); a != "Imported" || b != "Imported too" {
		t.Fatalf("after the import: %q, %q", a, b)
	}
}
