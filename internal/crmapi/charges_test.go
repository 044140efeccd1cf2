package crmapi_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

func (e *env) listCharges(class string, q url.Values) reply {
	e.t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("charge_status", class)
	if !q.Has("number_of_results") {
		q.Set("number_of_results", "50")
	}
	if !q.Has("offset") {
		q.Set("offset", "0")
	}
	return e.get("netflix/charges/list", q)
}

// The document's charges/list example, as our server must answer it: the
// demo data holds its five charges, PENDING. Two of the document's own
// defects are corrected before comparing: amounts are exact (5.99, not
// 5.989999771118164), and a PENDING charge has no set_as_* dates. Charges
// are ordered oldest received_on first (the document's order is not), and
// every documented field is present (the example omits the local ones).
func TestGoldenChargesList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.listCharges("NOT_PROCESSED", nil).ok(t)

	var doc struct {
		Data struct {
			ChargesSet []map[string]any `json:"charges_set"`
		} `json:"data"`
	}
	if err := json.Unmarshal(golden(t, "charges_list.response.json"), &doc); err != nil {
		t.Fatal(err)
	}
	want := doc.Data.ChargesSet
	for _, c := range want {
		c["amount"] = math.Round(c["amount"].(float64)*100) / 100
		for _, k := range []string{"set_as_rejected_request_on", "set_as_approved_on", "set_as_declined_on", "set_as_bad_request_on"} {
			c[k] = nil
		}
		c["local_currency_amount"], c["local_currency"] = nil, nil
	}
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i]["received_on"].(string), want[j]["received_on"].(string)
		return a < b || a == b && want[i]["number"].(string) < want[j]["number"].(string)
	})
	wantJSON, _ := json.Marshal(map[string]any{"charges_set": want})
	jsonEqual(t, r.Data, wantJSON)

	// Amounts are written with the currency's decimals, never as floats.
	if !strings.Contains(string(r.Raw), `"amount":5.99,`) || !strings.Contains(string(r.Raw), `"amount":2.99,`) || strings.Contains(string(r.Raw), "5.98999") {
		t.Fatalf("amounts not exact: %s", r.Raw)
	}
	e.listCharges("PROCESSED", nil).ok(t)
	if r := e.listCharges("PROCESSED", nil); string(r.Data) != `{"charges_set":[]}` {
		t.Fatalf("PROCESSED before settlement: %s", r.Data)
	}
}

// The document's acknowledge example: charge I00002707 was issued for
// another customer than "pp", so it fails with code "1" and the document's
// description.
func TestGoldenAcknowledge(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := netflix.NewCharge{ID: 2707, PartnerChargeID: "p-2707", Customer: "pci150",
		Amount: money.Amount{Minor: 599, Currency: "USD"}, ReceivedOn: docTime}
	if _, err := e.app.Netflix.Ingest(context.Background(), 1, []netflix.NewCharge{c}, ""); err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(golden(t, "charges_acknowledge.request.json")),
		`"token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1c3IiOiJNUEFkbWluaXN0cmF0b3IiLCJvcmciOiJwc19kZXYiLCJvdW4iOiIxIiwiZXhwIjoiMTQ4ODI5OTQwMiIsImlhdCI6IjE0ODgyOTIyMDIiLCJqdGkiOiJFNEIyNTdDNDA2NUE0NTA3OTYzNkI3NkI2MDUwMzY5QSJ9.KhMhy4Sz2iG0g14Sv_pUpE0KFweKsicf9aR44mg0vuE"`,
		`"token": "`+e.token+`"`, 1)
	if !strings.Contains(body, e.token) {
		t.Fatal("example token not replaced")
	}
	r := e.postRaw("netflix/charges/acknowledge", body).ok(t)
	jsonEqual(t, r.Raw, golden(t, "charges_acknowledge.response.json"))
}

func TestChargesListParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, c := range []struct {
		name  string
		q     url.Values
		code  string
		words string
	}{
		{"51 results", url.Values{"number_of_results": {"51"}}, "INVALID_PARAMETER", "number_of_results"},
		{"0 results", url.Values{"number_of_results": {"0"}}, "INVALID_PARAMETER", "number_of_results"},
		{"results not a number", url.Values{"number_of_results": {"ten"}}, "INVALID_PARAMETER", "number_of_results"},
		{"missing results", url.Values{"number_of_results": {""}}, "MISSING_PARAMETER", "number_of_results"},
		{"negative offset", url.Values{"offset": {"-1"}}, "INVALID_PARAMETER", "offset"},
		{"missing offset", url.Values{"offset": {""}}, "MISSING_PARAMETER", "offset"},
		{"unknown field", url.Values{"fields_set": {"number,price"}}, "INVALID_PARAMETER", "price"},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.Set("charge_status", "NOT_PROCESSED")
			for _, k := range []string{"number_of_results", "offset"} {
				if !q.Has(k) {
					q.Set(k, "1")
				} else if q.Get(k) == "" {
					q.Del(k)
				}
			}
			r := e.get("netflix/charges/list", q)
			r.fails(t, http.StatusBadRequest, c.code, c.words)
		})
	}
	q := url.Values{"number_of_results": {"5"}, "offset": {"0"}}
	e.get("netflix/charges/list", q).fails(t, http.StatusBadRequest, "MISSING_PARAMETER", "charge_status")
	q.Set("charge_status", "APPROVED")
	e.get("netflix/charges/list", q).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "charge_status")

	// Paging and fields_set.
	r := e.listCharges("NOT_PROCESSED", url.Values{"number_of_results": {"2"}, "offset": {"1"}, "fields_set": {"number,amount"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"charges_set":[{"number":"I00002662","amount":5.99},{"number":"I00002776","amount":5.99}]}`))
}

func TestAcknowledgeParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	items := make([]map[string]any, 51)
	for i := range items {
		items[i] = map[string]any{"number": "I00002662", "billing_system_customer_identifier": "pci150"}
	}
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": items}).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "50")
	e.post("netflix/charges/acknowledge", map[string]any{}).fails(t, http.StatusBadRequest, "MISSING_PARAMETER", "acknowledged_charges_set")
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": []any{}}).fails(t, http.StatusBadRequest, "MISSING_PARAMETER")
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": "I00002662"}).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "array")
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": []any{map[string]any{"number": "I00002662"}}}).
		fails(t, http.StatusBadRequest, "MISSING_PARAMETER", "acknowledged_charges_set[0].billing_system_customer_identifier")
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": []any{map[string]any{"number": 2662, "billing_system_customer_identifier": "pci150"}}}).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "acknowledged_charges_set[0].number")
	e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": []any{map[string]any{"number": "I00002662", "billing_system_customer_identifier": "pci150", "amount": 1}}}).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "acknowledged_charges_set[0].amount")
	// Nothing was acknowledged by the refused calls.
	if r := e.listCharges("NOT_PROCESSED", nil).ok(t); !strings.Contains(string(r.Data), "I00002662") {
		t.Fatal("a refused call acknowledged a charge")
	}
}

// The whole money flow over HTTP: list, acknowledge, settle, list again,
// acknowledge again, and the approved prices on the subscription.
func TestChargeLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ack := func(items ...map[string]any) []map[string]any {
		t.Helper()
		r := e.post("netflix/charges/acknowledge", map[string]any{"acknowledged_charges_set": items}).ok(t)
		var d struct {
			Failed []map[string]any `json:"failed_charges_set"`
		}
		json.Unmarshal(r.Data, &d)
		return d.Failed
	}
	item := func(number, customer, ref string) map[string]any {
		m := map[string]any{"number": number, "billing_system_customer_identifier": customer}
		if ref != "" {
			m["reference_number"] = ref
		}
		return m
	}
	listed := func(class string) []string {
		t.Helper()
		r := e.listCharges(class, url.Values{"fields_set": {"number"}}).ok(t)
		var d struct {
			Set []struct{ Number string } `json:"charges_set"`
		}
		json.Unmarshal(r.Data, &d)
		var out []string
		for _, c := range d.Set {
			out = append(out, c.Number)
		}
		return out
	}
	if f := ack(item("I00002662", "pci150", "REF-1"), item("I00002776", "1pci30", "")); len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	if got := strings.Join(listed("NOT_PROCESSED"), " "); got != "I00002671 I00002778 I00002780" {
		t.Fatalf("PENDING after acknowledging two: %s", got)
	}
	// Safe retry, and a used reference number.
	f := ack(item("I00002662", "pci150", "REF-1"), item("I00002671", "pci150", "REF-1"), item("I00002778", "pci150", ""))
	wantJSON, _ := json.Marshal([]map[string]any{
		{"number": "I00002671", "error_description": "The specified reference number is already used by this operator", "error_code": "3", "reference_number": "REF-1"},
		{"number": "I00002778", "error_description": "The specified charge was not issued for the specified customer", "error_code": "1", "reference_number": nil},
	})
	gotJSON, _ := json.Marshal(f)
	jsonEqual(t, gotJSON, wantJSON)

	// The processor settles them: the demo customers are EFFECTIVE.
	e.clock.Advance(time.Hour)
	e.token = e.login("demo", "demo", "demo")
	if n, err := e.app.Processor.Drain(context.Background()); err != nil || n != 5 {
		t.Fatalf("settled %d, %v; want 5", n, err)
	}
	if got := listed("NOT_PROCESSED"); len(got) != 0 {
		t.Fatalf("PENDING after settlement: %v", got)
	}
	// Acknowledged while PENDING, they show again as APPROVED.
	if got := strings.Join(listed("PROCESSED"), " "); got != "I00002671 I00002662 I00002776 I00002778 I00002780" {
		t.Fatalf("PROCESSED: %s", got)
	}
	r := e.listCharges("PROCESSED", url.Values{"number_of_results": {"1"}}).ok(t)
	if !strings.Contains(string(r.Data), `"charge_status":"APPROVED"`) || !strings.Contains(string(r.Data), `"set_as_approved_on":"2017-02-01T19:11:54"`) {
		t.Fatalf("settled charge: %s", r.Data)
	}
	if f := ack(item("I00002662", "pci150", "REF-2")); len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	if got := strings.Join(listed("PROCESSED"), " "); got != "I00002671 I00002776 I00002778 I00002780" {
		t.Fatalf("PROCESSED after acknowledging I00002662: %s", got)
	}
	// The approved prices reach the subscription.
	r = e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci150"}, "fields_set": {"prices_set"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"prices_set":[{"FormattedPrice":"$5.99"}]}`))
}

// Another operator sees none of the demo operator's charges and cannot
// acknowledge them.
func TestChargesTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	other := e.addTenant("demo", "reseller", "mallory")
	q := url.Values{"token": {other}, "charge_status": {"NOT_PROCESSED"}, "number_of_results": {"50"}, "offset": {"0"}}
	if r := e.get("netflix/charges/list", q).ok(t); string(r.Data) != `{"charges_set":[]}` {
		t.Fatalf("another operator lists %s", r.Data)
	}
	r := e.post("netflix/charges/acknowledge", map[string]any{"token": other,
		"acknowledged_charges_set": []any{map[string]any{"number": "I00002662", "billing_system_customer_identifier": "pci150"}}}).ok(t)
	if !strings.Contains(string(r.Data), `"error_code":"2"`) {
		t.Fatalf("another operator's acknowledge: %s", r.Data)
	}
	if r := e.listCharges("NOT_PROCESSED", nil).ok(t); !strings.Contains(string(r.Data), "I00002662") {
		t.Fatal("another operator acknowledged the demo charge")
	}
}
