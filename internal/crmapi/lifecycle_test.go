package crmapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"carebridge/internal/netflix"
)

type shown struct {
	Number  string `json:"subscription_number"`
	Life    string `json:"life_cycle_state"`
	Netflix string `json:"netflix_state"`
}

func (e *env) show(customer string) shown {
	e.t.Helper()
	r := e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {customer}}).ok(e.t)
	var s shown
	json.Unmarshal(r.Data, &s)
	return s
}

// The subscription life cycle, transition by transition, over HTTP.
func TestLifeCycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	call := func(method string) reply {
		return e.post("netflix/subscriptions/"+method, map[string]any{"billing_system_customer_identifier": "pci123"})
	}
	steps := []struct {
		method        string
		status        int
		code          string
		life, netflix string
	}{
		{"suspend", http.StatusNotFound, "NOT_FOUND", "", ""},
		{"create", http.StatusOK, "OK", "EFFECTIVE", "EFFECTIVE"},
		{"create", http.StatusConflict, "INVALID_STATE", "EFFECTIVE", "EFFECTIVE"},
		{"unsuspend", http.StatusConflict, "INVALID_STATE", "EFFECTIVE", "EFFECTIVE"},
		{"suspend", http.StatusOK, "OK", "NOT_EFFECTIVE", "NOT_EFFECTIVE"},
		{"suspend", http.StatusConflict, "INVALID_STATE", "NOT_EFFECTIVE", "NOT_EFFECTIVE"},
		{"create", http.StatusConflict, "INVALID_STATE", "NOT_EFFECTIVE", "NOT_EFFECTIVE"},
		{"unsuspend", http.StatusOK, "OK", "EFFECTIVE", "EFFECTIVE"},
		{"cancel", http.StatusOK, "OK", "CANCELLED", "NOT_EFFECTIVE"},
		{"cancel", http.StatusConflict, "INVALID_STATE", "CANCELLED", "NOT_EFFECTIVE"},
		{"suspend", http.StatusConflict, "INVALID_STATE", "CANCELLED", "NOT_EFFECTIVE"},
		{"unsuspend", http.StatusConflict, "INVALID_STATE", "CANCELLED", "NOT_EFFECTIVE"},
		{"create", http.StatusOK, "OK", "EFFECTIVE", "EFFECTIVE"}, // a new subscription
		{"suspend", http.StatusOK, "OK", "NOT_EFFECTIVE", "NOT_EFFECTIVE"},
		{"cancel", http.StatusOK, "OK", "CANCELLED", "NOT_EFFECTIVE"}, // cancel from NOT_EFFECTIVE
	}
	numbers := map[string]bool{}
	for i, st := range steps {
		r := call(st.method)
		if r.HTTP != st.status || r.Status.Code != st.code {
			t.Fatalf("step %d %s: HTTP %d %s (%s), want %d %s", i, st.method, r.HTTP, r.Status.Code, r.Status.Message, st.status, st.code)
		}
		if st.life == "" {
			continue
		}
		s := e.show("pci123")
		if s.Life != st.life || s.Netflix != st.netflix {
			t.Fatalf("step %d %s: state %s/%s, want %s/%s", i, st.method, s.Life, s.Netflix, st.life, st.netflix)
		}
		numbers[s.Number] = true
	}
	if len(numbers) != 2 {
		t.Fatalf("subscription numbers %v: want the first and the re-created one", numbers)
	}

	// The audit trail of the second subscription names the actor.
	var last shown = e.show("pci123")
	id, _ := netflix.ParseSubscriptionNumber(last.Number)
	evs, err := e.stores.Netflix.SubscriptionEvents(context.Background(), 1, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Action != netflix.ActionCreate || evs[2].Action != netflix.ActionCancel || evs[2].ActorUsername != "demo" || !evs[2].At.Equal(docTime) {
		t.Fatalf("audit trail = %+v", evs)
	}
}

func TestCreateAcceptsEveryDocumentedObject(t *testing.T) {
	t.Parallel()
	e := setup(t)
	full := map[string]any{
		"billing_system_customer_identifier": "full",
		"promotion_code":                     "15",
		"channel":                            "BROADBAND",
		"validity_duration":                  86400,
		"customer_first_name":                "Maria",
		"customer_last_name":                 "Kyriacou",
		"customer_address": map[string]any{
			"type": "BUSINESS", "postal_code": "1065", "town_city": "Nicosia",
			"country_identifier": map[string]any{"three_character_code": "CYP", "name": "Cyprus"},
			"address_line_1":     "1 Main Street", "address_line_2": "Suite 4", "state_province_county": "Nicosia",
			"udf_string_16": "x", "udf_float_4": 1.5, "udf_date_4": "2017-01-01T00:00:00",
		},
		"customer_email": map[string]any{"type": "BUSINESS", "is_primary": true, "email_address": "doug.do@acmeatm.zzz", "notes": "work", "udf_string_8": "y"},
		"customer_phone": map[string]any{
			"type": "MOBILE", "is_primary": false, "number": "+357 99 123456", "area_code": "22",
			"country_identifier": map[string]any{"two_character_code": "CY"}, "notes": "evenings", "udf_date_1": "2017-02-01T10:00:00Z",
		},
	}
	r := e.post("netflix/subscriptions/create", full).ok(t)
	var d struct {
		Expires string `json:"netflix_token_expiration_date"`
	}
	json.Unmarshal(r.Data, &d)
	if d.Expires != "2017-02-02T18:11:54" {
		t.Fatalf("expiration %q, want 24 hours after the clock", d.Expires)
	}
	// Without validity_duration the token lives an hour.
	r = e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "default"}).ok(t)
	json.Unmarshal(r.Data, &d)
	if d.Expires != "2017-02-01T19:11:54" {
		t.Fatalf("default expiration %q, want one hour after the clock", d.Expires)
	}
	// A PO box address in the CRM.COM format needs no street.
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "pobox",
		"customer_address": map[string]any{"type": "POBOX", "po_box": "70022", "po_box_postal_code": "AG70022", "is_primary": true}}).ok(t)
}

func TestFieldsSet(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "c1", "promotion_code": "14"}).ok(t)
	r := e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"c1"}, "fields_set": {"life_cycle_state, promotions_set"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"promotions_set":[{"code":"14","expires_on":null,"name":"Test","description":null,"effective_from":"2017-01-01T00:00:00"}],"life_cycle_state":"EFFECTIVE"}`))
	r = e.get("netflix/promotions/list", url.Values{"fields_set": {"effective_from,code"}}).ok(t)
	sameBytes(t, r.Data, []byte(`[{"code":"14","effective_from":"2017-01-01T00:00:00"},{"code":"15","effective_from":"2017-02-01T00:00:00"}]`))
	r = e.get("netflix/promotions/list", url.Values{"fields_set": {""}}).ok(t)
	if len(r.Data) < 100 {
		t.Fatalf("empty fields_set should return every field: %s", r.Data)
	}
	e.get("netflix/promotions/list", url.Values{"fields_set": {"code,price"}}).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "price")
}
