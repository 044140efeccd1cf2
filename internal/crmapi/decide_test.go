package crmapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// charges/accept and charges/decline: an empty data object when every
// item succeeds, the failed items otherwise, with the acknowledgement
// codes and "4" for a charge no longer PENDING; a decline ends the
// customer's subscription.
func TestAcceptDeclineCharges(t *testing.T) {
	t.Parallel()
	e := setup(t)
	item := func(number, customer, ref string) map[string]any {
		m := map[string]any{"number": number, "billing_system_customer_identifier": customer}
		if ref != "" {
			m["reference_number"] = ref
		}
		return m
	}
	r := e.post("netflix/charges/accept", map[string]any{"accepted_charges_set": []any{item("I00002662", "pci150", "A-1")}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{}`))

	r = e.post("netflix/charges/decline", map[string]any{"declined_charges_set": []any{
		item("I00002662", "pci150", ""),    // accepted already
		item("I00002671", "pci150", "A-1"), // reference number used
		item("I00002776", "pci150", ""),    // another customer's
		item("I99999999", "pci150", ""),    // unknown
		item("I00002778", "1pci28", "D-1"), // declined
	}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"failed_charges_set":[
		{"number":"I00002662","error_description":"The specified charge is no longer pending","error_code":"4","reference_number":null},
		{"number":"I00002671","error_description":"The specified reference number is already used by this operator","error_code":"3","reference_number":"A-1"},
		{"number":"I00002776","error_description":"The specified charge was not issued for the specified customer","error_code":"1","reference_number":null},
		{"number":"I99999999","error_description":"The specified charge was not found","error_code":"2","reference_number":null}]}`))

	// The processor settles only what is left.
	if n, err := e.app.Processor.Drain(context.Background()); err != nil || n != 3 {
		t.Fatalf("settled %d, %v; want 3", n, err)
	}
	r = e.listCharges("PROCESSED", url.Values{"fields_set": {"number,charge_status"}}).ok(t)
	for _, want := range []string{`{"number":"I00002662","charge_status":"APPROVED"}`, `{"number":"I00002778","charge_status":"DECLINED"}`} {
		if !strings.Contains(string(r.Data), want) {
			t.Fatalf("PROCESSED lacks %s: %s", want, r.Data)
		}
	}
	r = e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"1pci28"}, "fields_set": {"life_cycle_state"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"life_cycle_state":"CANCELLED"}`))
	r = e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci150"}, "fields_set": {"prices_set"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"prices_set":[{"FormattedPrice":"$5.99"}]}`))
}

func TestDecideParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, m := range []struct{ method, set string }{{"netflix/charges/accept", "accepted_charges_set"}, {"netflix/charges/decline", "declined_charges_set"}} {
		items := make([]any, 51)
		for i := range items {
			items[i] = map[string]any{"number": "I00002662", "billing_system_customer_identifier": "pci150"}
		}
		e.post(m.method, map[string]any{m.set: items}).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "50")
		e.post(m.method, map[string]any{}).fails(t, http.StatusBadRequest, "MISSING_PARAMETER", m.set)
		e.post(m.method, map[string]any{m.set: []any{}}).fails(t, http.StatusBadRequest, "MISSING_PARAMETER", m.set)
		e.post(m.method, map[string]any{m.set: []any{map[string]any{"number": "I00002662"}}}).
			fails(t, http.StatusBadRequest, "MISSING_PARAMETER", m.set+"[0].billing_system_customer_identifier")
		e.post(m.method, map[string]any{m.set: []any{map[string]any{"number": "I00002662", "billing_system_customer_identifier": "pci150", "amount": 1}}}).
			fails(t, http.StatusBadRequest, "INVALID_PARAMETER", m.set+"[0].amount")
	}
	// Nothing was decided by the refused calls.
	r := e.listCharges("NOT_PROCESSED", url.Values{"fields_set": {"number"}}).ok(t)
	var d struct {
		Set []any `json:"charges_set"`
	}
	json.Unmarshal(r.Data, &d)
	if len(d.Set) != 5 {
		t.Fatalf("a refused call decided a charge: %s", r.Data)
	}
}
