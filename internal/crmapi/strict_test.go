package crmapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Input the decoders would read loosely is refused, naming the parameter:
// a lone surrogate would become U+FFFD, a name given twice would keep its
// last value, and a malformed percent-escape would drop the parameter.
func TestLooseBodiesRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := `"token":"` + e.token + `"`
	for _, c := range []struct {
		name, method, body string
		words              []string
	}{
		{"lone surrogate in the customer", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"\ud800"}`,
			[]string{"billing_system_customer_identifier", `lone UTF-16 surrogate \ud800`}},
		{"lone low surrogate in a name", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","customer_first_name":"a\uDC00"}`,
			[]string{"customer_first_name", "surrogate"}},
		{"lone surrogate nested", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","customer_address":{"type":"HOME","town_city":"\udbff"}}`,
			[]string{"customer_address.town_city", "surrogate"}},
		{"lone surrogate in a member name", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","\ud800":1}`,
			[]string{"member name", "surrogate"}},
		{"bytes that are not UTF-8", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","customer_last_name":"a` + "\xff" + `"}`,
			[]string{"customer_last_name", "UTF-8"}},
		{"duplicate customer", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","billing_system_customer_identifier":"c2"}`,
			[]string{"billing_system_customer_identifier", "more than once"}},
		{"duplicate after unescaping", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","billing_system_customer_identifie\u0072":"c2"}`,
			[]string{"billing_system_customer_identifier", "more than once"}},
		{"duplicate token", "netflix/subscriptions/create", `{` + tok + `,` + tok + `,"billing_system_customer_identifier":"c1"}`,
			[]string{"token", "more than once"}},
		{"duplicate nested", "netflix/subscriptions/create", `{` + tok + `,"billing_system_customer_identifier":"c1","customer_address":{"type":"HOME","type":"WORK"}}`,
			[]string{"customer_address.type", "more than once"}},
		{"duplicate in an array item", "netflix/charges/acknowledge", `{` + tok + `,"acknowledged_charges_set":[{"number":"I00002707","billing_system_customer_identifier":"pp","number":"I00002708"}]}`,
			[]string{"acknowledged_charges_set[0].number", "more than once"}},
		{"duplicate on suspend", "netflix/subscriptions/suspend", `{` + tok + `,"billing_system_customer_identifier":"pci150","billing_system_customer_identifier":"x"}`,
			[]string{"billing_system_customer_identifier", "more than once"}},
		{"duplicate on login", "authentication/token", `{"organisation":"demo","username":"x","username":"demo","password":"demo"}`,
			[]string{"username", "more than once"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.postRaw(c.method, c.body).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", c.words...)
		})
	}
	// Nothing was created or changed.
	for _, customer := range []string{"\uFFFD", "c1", "c2"} {
		e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {customer}}).fails(t, http.StatusNotFound, "NOT_FOUND")
	}
	r := e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci150"}}).ok(t)
	if !strings.Contains(string(r.Data), `"EFFECTIVE"`) {
		t.Fatalf("pci150 changed: %s", r.Data)
	}
	// A surrogate pair and an escaped U+FFFD are characters, and accepted.
	e.postRaw("netflix/subscriptions/create", `{`+tok+`,"billing_system_customer_identifier":"c3","customer_first_name":"\ud83d\ude00 \ufffd"}`).ok(t)
}

func TestLooseQueriesRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := "token=" + e.token
	for _, c := range []struct {
		name, method, query string
		words               []string
	}{
		{"malformed escape in fields_set", "netflix/promotions/list", tok + "&fields_set=%zz", []string{"fields_set", "percent-escape"}},
		{"truncated escape", "netflix/promotions/list", tok + "&fields_set=code%2", []string{"fields_set", "percent-escape"}},
		{"malformed escape in the customer", "netflix/subscriptions/show", tok + "&billing_system_customer_identifier=pci%g150", []string{"billing_system_customer_identifier", "percent-escape"}},
		{"malformed escape in the token", "netflix/charges/list", "token=%zz&charge_status=PROCESSED", []string{"token", "percent-escape"}},
		{"malformed escape in a name", "netflix/charges/list", tok + "&charge_status=PROCESSED&%zz=1", []string{"%zz", "percent-escape"}},
		{"not UTF-8", "netflix/subscriptions/show", tok + "&billing_system_customer_identifier=%ff", []string{"billing_system_customer_identifier", "UTF-8"}},
		{"semicolon", "netflix/charges/list", tok + "&charge_status=PROCESSED;offset=1", []string{"charge_status", "semicolon"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, e.url+c.method+"?"+c.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			e.do(req).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", c.words...)
		})
	}
	// A well-formed escape still reads.
	req, _ := http.NewRequest(http.MethodGet, e.url+"netflix/promotions/list?"+tok+"&fields_set=cod%65", nil)
	e.do(req).ok(t)
}
