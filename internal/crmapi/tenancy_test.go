package crmapi_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Nothing crosses tenants: a user of another organisation, or of another
// operator of the same organisation, sees NOT_FOUND for this operator's
// customers and cannot touch them.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "pci300", "promotion_code": "14"}).ok(t)

	others := map[string]string{
		"other organisation":                e.addTenant("globex", "demo", "eve"), // even an operator with the same name
		"other operator, same organisation": e.addTenant("demo", "reseller", "mallory"),
	}
	for name, token := range others {
		t.Run(name, func(t *testing.T) {
			as := func(method string, params map[string]any) reply {
				params["token"] = token
				return e.post(method, params)
			}
			q := url.Values{"token": {token}, "billing_system_customer_identifier": {"pci300"}}
			e.get("netflix/subscriptions/show", q).fails(t, http.StatusNotFound, "NOT_FOUND")
			for _, m := range []string{"suspend", "unsuspend", "cancel"} {
				as("netflix/subscriptions/"+m, map[string]any{"billing_system_customer_identifier": "pci300"}).fails(t, http.StatusNotFound, "NOT_FOUND")
			}
			// The demo operator's promotions are not theirs.
			r := e.get("netflix/promotions/list", url.Values{"token": {token}}).ok(t)
			if string(r.Data) != "[]" {
				t.Fatalf("promotions of another operator visible: %s", r.Data)
			}
			as("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "pci300", "promotion_code": "14"}).
				fails(t, http.StatusNotFound, "NOT_FOUND", "14")
		})
	}
	// Each operator's pci300 is its own customer: another operator can
	// register and cancel its pci300 without touching the demo one.
	tok := others["other organisation"]
	e.post("netflix/subscriptions/create", map[string]any{"token": tok, "billing_system_customer_identifier": "pci300"}).ok(t)
	e.post("netflix/subscriptions/cancel", map[string]any{"token": tok, "billing_system_customer_identifier": "pci300"}).ok(t)
	if s := e.show("pci300"); s.Life != "EFFECTIVE" {
		t.Fatalf("demo's pci300 is %s after another tenant cancelled theirs", s.Life)
	}
}
