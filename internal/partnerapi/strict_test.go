package partnerapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// A report the JSON decoder would read loosely is refused as a whole,
// naming the member: a lone surrogate would be stored as U+FFFD, and a
// name given twice would keep its last value.
func TestIntakeLooseJSONRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	item := func(fields string) string {
		return `{"partner_charge_id":"p-1","billing_system_customer_identifier":"cust-1","amount":5.99,"currency":"USD","received_on":"2017-02-04T02:00:00"` + fields + `}`
	}
	good := item("")
	for _, c := range []struct {
		name, body string
		words      []string
	}{
		{"lone surrogate in the customer", `{"charges":[` + strings.Replace(good, `"cust-1"`, `"cust-\ud800"`, 1) + `]}`,
			[]string{"charges[0].billing_system_customer_identifier", "surrogate"}},
		{"lone low surrogate in the id", `{"charges":[` + good + `,` + strings.Replace(good, `"p-1"`, `"\udc00"`, 1) + `]}`,
			[]string{"charges[1].partner_charge_id", "surrogate"}},
		{"bytes that are not UTF-8", `{"charges":[` + strings.Replace(good, `"cust-1"`, "\"cust-\xff\"", 1) + `]}`,
			[]string{"charges[0].billing_system_customer_identifier", "UTF-8"}},
		{"duplicate amount", `{"charges":[` + item(`,"amount":599`) + `]}`,
			[]string{"charges[0].amount", "more than once"}},
		{"duplicate after unescaping", `{"charges":[` + item(`,"curr\u0065ncy":"EUR"`) + `]}`,
			[]string{"charges[0].currency", "more than once"}},
		{"duplicate charges", `{"charges":[` + good + `],"charges":[]}`,
			[]string{"charges", "more than once"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := wantError(t, f.report([]byte(c.body)), http.StatusBadRequest, "invalid_report")
			for _, w := range c.words {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
		})
	}
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored by refused reports", n)
	}
}

// Dates far outside reason are refused item by item; the others are stored.
func TestIntakeChargeDatesOutsideReason(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bad := map[string]string{
		"d-0000":      "received_on",
		"d-9999":      "received_on",
		"d-1969":      "received_on",
		"d-zero":      "received_on",
		"d-paid-9999": "paid_through_date",
		"d-paid-zero": "paid_through_date",
	}
	with := func(id, field, value string) map[string]any {
		c := charge(id, "cust-1")
		c[field] = value
		return c
	}
	rs := results(t, f.report(reportOf(t,
		with("d-0000", "received_on", "0000-01-01T00:00:00"),
		with("d-9999", "received_on", "9999-12-31T23:59:59"),
		with("d-1969", "received_on", "1969-12-31T23:59:59Z"),
		with("d-zero", "received_on", "0001-01-01T00:00:00"),
		with("d-paid-9999", "paid_through_date", "9999-01-01T00:00:00"),
		with("d-paid-zero", "paid_through_date", "0001-01-01T00:00:00"),
		with("d-ok", "paid_through_date", "2099-12-31T23:59:59"),
	)))
	for _, r := range rs {
		field, isBad := bad[r.PartnerChargeID]
		if !isBad {
			if r.Status != "created" {
				t.Errorf("%s: %s, want created", r.PartnerChargeID, r.Status)
			}
			continue
		}
		if r.Status != "rejected" || !strings.Contains(*r.Error, field) || !strings.Contains(*r.Error, "1970-01-01 to 2099-12-31") {
			t.Errorf("%s: %s %s, want rejected naming %s and the bounds", r.PartnerChargeID, r.Status, deref(r.Error), field)
		}
	}
	if n := f.count(f.op.ID); n != 1 {
		t.Errorf("%d charges stored, want 1", n)
	}
}
