package partnerapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/partnerapi"
)

// base is the fields every item below shares unless it says otherwise.
const base = `"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00"`

// one wraps a single item in a report.
func one(item string) []byte { return []byte(`{"charges": [` + item + `]}`) }

// withAmount is an item with the base fields and the given amount and
// currency literals.
func withAmount(amount, currency string) string {
	return `{` + base + `, "amount": ` + amount + `, "currency": ` + currency + `}`
}

var recv = time.Date(2017, 2, 4, 2, 0, 0, 0, time.UTC)

// sameCharge compares decoded charges field by field, times by instant and
// zone.
func sameCharge(t *testing.T, got, want netflix.NewCharge) {
	t.Helper()
	if got.ID != 0 || got.PartnerChargeID != want.PartnerChargeID || got.Customer != want.Customer {
		t.Errorf("id %d partner %q customer %q, want 0 %q %q", got.ID, got.PartnerChargeID, got.Customer, want.PartnerChargeID, want.Customer)
	}
	if got.Amount != want.Amount || got.LocalAmount != want.LocalAmount {
		t.Errorf("amount %+v local %+v, want %+v %+v", got.Amount, got.LocalAmount, want.Amount, want.LocalAmount)
	}
	for _, d := range []struct {
		name      string
		got, want time.Time
	}{{"received_on", got.ReceivedOn, want.ReceivedOn}, {"paid_through_date", got.PaidThroughDate, want.PaidThroughDate}} {
		if !d.got.Equal(d.want) || d.got.IsZero() != d.want.IsZero() {
			t.Errorf("%s %v, want %v", d.name, d.got, d.want)
		}
		if !d.got.IsZero() && d.got.Location() != time.UTC {
			t.Errorf("%s %v is not in UTC", d.name, d.got)
		}
	}
}

func TestDecodeReportGoodItems(t *testing.T) {
	t.Parallel()
	usd := func(minor int64) netflix.NewCharge {
		return netflix.NewCharge{PartnerChargeID: "p-1", Customer: "cust-1", Amount: money.Amount{Minor: minor, Currency: "USD"}, ReceivedOn: recv}
	}
	in := func(minor int64, cur string) netflix.NewCharge {
		c := usd(minor)
		c.Amount.Currency = cur
		return c
	}
	cases := []struct {
		name string
		item string
		want netflix.NewCharge
	}{
		{"5.99 USD", withAmount(`5.99`, `"USD"`), usd(599)},
		{"trailing zero", withAmount(`5.990`, `"USD"`), usd(599)},
		{"integer", withAmount(`5`, `"USD"`), usd(500)},
		{"zero", withAmount(`0`, `"USD"`), usd(0)},
		{"one cent", withAmount(`0.01`, `"USD"`), usd(1)},
		{"exponent", withAmount(`1.5e1`, `"USD"`), usd(1500)},
		{"negative exponent", withAmount(`599E-2`, `"USD"`), usd(599)},
		{"largest amount", withAmount(`92233720368547758.07`, `"USD"`), usd(1<<63 - 1)},
		{"JPY has no decimals", withAmount(`500`, `"JPY"`), in(500, "JPY")},
		{"BHD has three", withAmount(`1.234`, `"BHD"`), in(1234, "BHD")},
		{"spaces around values", `{ "partner_charge_id" : "p-1" , "billing_system_customer_identifier" :"cust-1",
			"received_on":  "2017-02-04T02:00:00" , "amount" :   5.99 , "currency" : "USD" }`, usd(599)},
		{"local amount", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": 5.5, "local_currency": "EUR"}`,
			func() netflix.NewCharge {
				c := usd(599)
				c.LocalAmount = money.Amount{Minor: 550, Currency: "EUR"}
				return c
			}()},
		{"local amount null with local currency null", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": null, "local_currency": null}`, usd(599)},
		{"paid through date", `{` + base + `, "amount": 5.99, "currency": "USD", "paid_through_date": "2017-03-04T02:00:00"}`,
			func() netflix.NewCharge {
				c := usd(599)
				c.PaidThroughDate = time.Date(2017, 3, 4, 2, 0, 0, 0, time.UTC)
				return c
			}()},
		{"paid through date null", `{` + base + `, "amount": 5.99, "currency": "USD", "paid_through_date": null}`, usd(599)},
		{"received_on RFC 3339 Z", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00Z", "amount": 5.99, "currency": "USD"}`, usd(599)},
		{"received_on with an offset", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T04:00:00+02:00", "amount": 5.99, "currency": "USD"}`, usd(599)},
		{"received_on the day before elsewhere", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-03T21:00:00-05:00", "amount": 5.99, "currency": "USD"}`, usd(599)},
		{"longest partner id", `{"partner_charge_id": "` + strings.Repeat("x", 128) + `", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			func() netflix.NewCharge {
				c := usd(599)
				c.PartnerChargeID = strings.Repeat("x", 128)
				return c
			}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			charges, itemErrs, err := partnerapi.DecodeReport(one(c.item))
			if err != nil {
				t.Fatalf("report refused: %v", err)
			}
			if len(charges) != 1 || len(itemErrs) != 1 {
				t.Fatalf("%d charges, %d item errors, want 1 and 1", len(charges), len(itemErrs))
			}
			if itemErrs[0] != nil {
				t.Fatalf("item refused: %v", itemErrs[0])
			}
			sameCharge(t, charges[0], c.want)
		})
	}
}

func TestDecodeReportBadItems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		item  string
		code  string
		words []string
	}{
		{"amount as a string", withAmount(`"5.99"`, `"USD"`), carebridge.EINVALID, []string{"amount must be a number"}},
		{"amount as a string, spaced", `{` + base + `, "amount" :  "5.99" , "currency": "USD"}`, carebridge.EINVALID, []string{"amount must be a number"}},
		{"amount true", withAmount(`true`, `"USD"`), carebridge.EINVALID, []string{"amount must be a number"}},
		{"amount an array", withAmount(`[5]`, `"USD"`), carebridge.EINVALID, []string{"amount must be a number"}},
		{"amount null", withAmount(`null`, `"USD"`), carebridge.EMISSING, []string{"amount is mandatory"}},
		{"amount missing", `{` + base + `, "currency": "USD"}`, carebridge.EMISSING, []string{"amount is mandatory"}},
		{"float noise", withAmount(`5.989999771118164`, `"USD"`), carebridge.EINVALID, []string{"amount", "5.989999771118164", "decimals"}},
		{"three decimals in USD", withAmount(`5.999`, `"USD"`), carebridge.EINVALID, []string{"amount", "decimals"}},
		{"decimals in JPY", withAmount(`0.5`, `"JPY"`), carebridge.EINVALID, []string{"amount", "JPY"}},
		{"negative", withAmount(`-5.99`, `"USD"`), carebridge.EINVALID, []string{"amount", "negative"}},
		{"one past the largest", withAmount(`92233720368547758.08`, `"USD"`), carebridge.EINVALID, []string{"amount", "too large"}},
		{"huge", withAmount(`1e30`, `"USD"`), carebridge.EINVALID, []string{"amount", "too large"}},
		{"unknown currency", withAmount(`5.99`, `"XYZ"`), carebridge.EINVALID, []string{`currency: "XYZ" is not`}},
		{"lower-case currency", withAmount(`5.99`, `"usd"`), carebridge.EINVALID, []string{`currency: "usd" is not`}},
		{"two-letter currency", withAmount(`5.99`, `"US"`), carebridge.EINVALID, []string{`"US"`}},
		{"currency with a space", withAmount(`5.99`, `"USD "`), carebridge.EINVALID, []string{`"USD "`}},
		{"currency a number", withAmount(`5.99`, `840`), carebridge.EINVALID, []string{"currency must be a string"}},
		{"currency empty", withAmount(`5.99`, `""`), carebridge.EMISSING, []string{"currency is mandatory"}},
		{"currency missing", `{` + base + `, "amount": 5.99}`, carebridge.EMISSING, []string{"currency is mandatory"}},
		{"local amount without local currency", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": 5.5}`,
			carebridge.EINVALID, []string{"local_currency_amount and local_currency"}},
		{"local currency without local amount", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency": "EUR"}`,
			carebridge.EINVALID, []string{"local_currency_amount and local_currency"}},
		{"local amount with too many decimals", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": 0.5, "local_currency": "JPY"}`,
			carebridge.EINVALID, []string{"local_currency_amount", "decimals"}},
		{"local amount as a string", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": "5.5", "local_currency": "EUR"}`,
			carebridge.EINVALID, []string{"local_currency_amount must be a number"}},
		{"local currency unknown", `{` + base + `, "amount": 5.99, "currency": "USD", "local_currency_amount": 5.5, "local_currency": "XYZ"}`,
			carebridge.EINVALID, []string{`local_currency: "XYZ" is not`}},
		{"received_on missing", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "amount": 5.99, "currency": "USD"}`,
			carebridge.EMISSING, []string{"received_on is mandatory"}},
		{"received_on null", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": null, "amount": 5.99, "currency": "USD"}`,
			carebridge.EMISSING, []string{"received_on is mandatory"}},
		{"received_on date only", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"received_on", `"2017-02-04"`}},
		{"received_on with a space", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04 02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"received_on"}},
		{"received_on no such day", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-30T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"received_on"}},
		{"received_on offset without colon", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00+0200", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"received_on"}},
		{"received_on unix seconds", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "cust-1", "received_on": 1486173600, "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"received_on must be a string"}},
		{"paid_through_date bad", `{` + base + `, "amount": 5.99, "currency": "USD", "paid_through_date": "March"}`,
			carebridge.EINVALID, []string{"paid_through_date"}},
		{"customer missing", `{"partner_charge_id": "p-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EMISSING, []string{"billing_system_customer_identifier is mandatory"}},
		{"customer blank", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "  ", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EMISSING, []string{"billing_system_customer_identifier"}},
		{"customer a number", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": 1649, "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"billing_system_customer_identifier must be a string"}},
		{"customer too long", `{"partner_charge_id": "p-1", "billing_system_customer_identifier": "` + strings.Repeat("c", 129) + `", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"billing_system_customer_identifier", "128"}},
		{"partner id missing", `{"billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EMISSING, []string{"partner_charge_id is mandatory"}},
		{"partner id too long", `{"partner_charge_id": "` + strings.Repeat("x", 129) + `", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"partner_charge_id", "128"}},
		{"partner id with a control character", `{"partner_charge_id": "p\u0007", "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"partner_charge_id", "control"}},
		{"partner id a number", `{"partner_charge_id": 7, "billing_system_customer_identifier": "cust-1", "received_on": "2017-02-04T02:00:00", "amount": 5.99, "currency": "USD"}`,
			carebridge.EINVALID, []string{"partner_charge_id must be a string"}},
		{"unknown field", `{` + base + `, "amount": 5.99, "currency": "USD", "colour": "red"}`, carebridge.EINVALID, []string{"colour is not a field"}},
		{"field in the wrong case", `{` + base + `, "amount": 5.99, "currency": "USD", "Amount": 5.99}`, carebridge.EINVALID, []string{"Amount is not a field"}},
		{"two unknown fields: the first by name", `{` + base + `, "amount": 5.99, "currency": "USD", "zeta": 1, "alpha": 2}`, carebridge.EINVALID, []string{"alpha is not a field"}},
		{"a number", `42`, carebridge.EINVALID, []string{"object"}},
		{"a string", `"p-1"`, carebridge.EINVALID, []string{"object"}},
		{"an array", `[]`, carebridge.EINVALID, []string{"object"}},
		{"null", `null`, carebridge.EINVALID, []string{"object"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			charges, itemErrs, err := partnerapi.DecodeReport(one(c.item))
			if err != nil {
				t.Fatalf("the whole report was refused: %v", err)
			}
			if len(charges) != 1 || len(itemErrs) != 1 {
				t.Fatalf("%d charges, %d item errors, want 1 and 1", len(charges), len(itemErrs))
			}
			// The decoder refuses wrong types; the domain's rules are checked
			// once, by NewCharge.Validate inside Service.Ingest.
			e := itemErrs[0]
			if e == nil {
				e = charges[0].Validate()
			}
			if e == nil {
				t.Fatalf("item accepted: %+v", charges[0])
			}
			if got := carebridge.ErrorCode(e); got != c.code {
				t.Errorf("code %q, want %q (%v)", got, c.code, e)
			}
			msg := carebridge.ErrorMessage(e)
			for _, w := range c.words {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestDecodeReportWholeReport(t *testing.T) {
	t.Parallel()
	good := withAmount(`5.99`, `"USD"`)
	items := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`{"partner_charge_id": "p-%d", "billing_system_customer_identifier": "c", "received_on": "2017-02-04T02:00:00", "amount": 1, "currency": "USD"}`, i)
		}
		return `{"charges": [` + strings.Join(parts, ",") + `]}`
	}
	cases := []struct {
		name  string
		body  string
		code  string
		words []string
	}{
		{"empty body", ``, carebridge.EINVALID, []string{"JSON object"}},
		{"not JSON", `{"charges": [`, carebridge.EINVALID, []string{"JSON object"}},
		{"null", `null`, carebridge.EINVALID, []string{"JSON object"}},
		{"an array", `[` + good + `]`, carebridge.EINVALID, []string{"JSON object"}},
		{"a number", `5`, carebridge.EINVALID, []string{"JSON object"}},
		{"trailing data", string(one(good)) + ` {}`, carebridge.EINVALID, []string{"JSON object"}},
		{"no charges", `{}`, carebridge.EMISSING, []string{"charges is mandatory"}},
		{"charges null", `{"charges": null}`, carebridge.EMISSING, []string{"charges is mandatory"}},
		{"charges misspelt", `{"Charges": [` + good + `]}`, carebridge.EMISSING, []string{"charges is mandatory"}},
		{"charges an object", `{"charges": ` + good + `}`, carebridge.EINVALID, []string{"array"}},
		{"charges a string", `{"charges": "all"}`, carebridge.EINVALID, []string{"array"}},
		{"zero items", `{"charges": []}`, carebridge.EINVALID, []string{"1 to 1000", "holds 0"}},
		{"1001 items", items(1001), carebridge.EINVALID, []string{"1 to 1000", "holds 1001"}},
		{"extra field", `{"charges": [` + good + `], "operator": 1}`, carebridge.EINVALID, []string{"operator is not a field"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			charges, itemErrs, err := partnerapi.DecodeReport([]byte(c.body))
			if err == nil {
				t.Fatalf("report accepted: %d charges", len(charges))
			}
			if charges != nil || itemErrs != nil {
				t.Errorf("a refused report returned %d charges and %d item errors", len(charges), len(itemErrs))
			}
			if got := carebridge.ErrorCode(err); got != c.code {
				t.Errorf("code %q, want %q (%v)", got, c.code, err)
			}
			msg := carebridge.ErrorMessage(err)
			for _, w := range c.words {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
		})
	}

	t.Run("1000 items", func(t *testing.T) {
		t.Parallel()
		charges, itemErrs, err := partnerapi.DecodeReport([]byte(items(1000)))
		if err != nil {
			t.Fatal(err)
		}
		if len(charges) != 1000 || len(itemErrs) != 1000 {
			t.Fatalf("%d charges, %d item errors", len(charges), len(itemErrs))
		}
		for i := range charges {
			if itemErrs[i] != nil || charges[i].PartnerChargeID != fmt.Sprintf("p-%d", i) {
				t.Fatalf("item %d: %+v, %v", i, charges[i], itemErrs[i])
			}
		}
	})
}

func TestDecodeReportKeepsItemOrder(t *testing.T) {
	t.Parallel()
	body := []byte(`{"charges": [
		{"partner_charge_id": "a", "billing_system_customer_identifier": "c1", "received_on": "2017-02-04T02:00:00", "amount": 1.25, "currency": "USD"},
		{"partner_charge_id": "b", "billing_system_customer_identifier": "c2", "received_on": "2017-02-04T02:00:00", "amount": "1.25", "currency": "USD"},
		42,
		{"partner_charge_id": "d", "billing_system_customer_identifier": "c4", "received_on": "2017-02-05T02:00:00", "amount": 300, "currency": "JPY"},
		{"partner_charge_id": "a", "billing_system_customer_identifier": "c5", "received_on": "2017-02-04T02:00:00", "amount": 2, "currency": "USD"}
	]}`)
	charges, itemErrs, err := partnerapi.DecodeReport(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(charges) != 5 || len(itemErrs) != 5 {
		t.Fatalf("%d charges, %d item errors, want 5 and 5", len(charges), len(itemErrs))
	}
	wantErr := []bool{false, true, true, false, false}
	for i, w := range wantErr {
		if (itemErrs[i] != nil) != w {
			t.Errorf("item %d: error %v, want an error: %v", i, itemErrs[i], w)
		}
	}
	// Repeats within a report are the store's business, not the decoder's.
	sameCharge(t, charges[0], netflix.NewCharge{PartnerChargeID: "a", Customer: "c1", Amount: money.Amount{Minor: 125, Currency: "USD"}, ReceivedOn: recv})
	sameCharge(t, charges[3], netflix.NewCharge{PartnerChargeID: "d", Customer: "c4", Amount: money.Amount{Minor: 300, Currency: "JPY"}, ReceivedOn: recv.AddDate(0, 0, 1)})
	sameCharge(t, charges[4], netflix.NewCharge{PartnerChargeID: "a", Customer: "c5", Amount: money.Amount{Minor: 200, Currency: "USD"}, ReceivedOn: recv})
	if charges[1].PartnerChargeID != "b" {
		t.Errorf("a rejected item lost its partner id: %q", charges[1].PartnerChargeID)
	}
}
