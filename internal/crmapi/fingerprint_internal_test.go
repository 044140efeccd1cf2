package crmapi

import (
	"encoding/json"
	"testing"
)

func TestCanonicalNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"100": "1e2", "1e2": "1e2", "100.0": "1e2", "1.00E+2": "1e2", "10000e-2": "1e2",
		"0": "0", "-0": "0", "0.000": "0", "0e7": "0",
		"5.99": "599e-2", "-5.990": "-599e-2", "0.001": "1e-3", "7": "7e0",
		"1e999999999999":         "1e999999999999", // no power is computed
		"1e99999999999999999999": "1e99999999999999999999",
	} {
		if got := canonicalNumber(json.Number(in)); string(got) != want {
			t.Errorf("canonicalNumber(%s) = %s, want %s", in, got, want)
		}
	}
}

// Requests written otherwise are the same request; other values are not.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	fp := func(body string) string {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		return string(fingerprint("netflix/subscriptions/create", &call{params: newParams(raw, false)}))
	}
	same := fp(`{"billing_system_customer_identifier":"fp1","validity_duration":100,"token":"A"}`)
	for _, body := range []string{
		`{"validity_duration":1e2,"billing_system_customer_identifier":"\u0066p1"}`,
		`{ "billing_system_customer_identifier" : "fp1", "validity_duration" : 100.0, "promotion_code": null, "token": "B" }`,
	} {
		if fp(body) != same {
			t.Errorf("%s is another request", body)
		}
	}
	for _, body := range []string{
		`{"billing_system_customer_identifier":"fp1","validity_duration":101}`,
		`{"billing_system_customer_identifier":"fp1","validity_duration":"100"}`,
		`{"billing_system_customer_identifier":"fp1"}`,
		`{"billing_system_customer_identifier":"fp1","validity_duration":100,"promotion_code":"14"}`,
	} {
		if fp(body) == same {
			t.Errorf("%s is the same request", body)
		}
	}
}
