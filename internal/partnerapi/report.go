// Package partnerapi is the face the partner reports charges to:
// POST /partner/netflix/v1/charges, signed per operator with HMAC-SHA256.
package partnerapi

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"carebridge"
	"carebridge/internal/face"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/strict"
)

// DecodeReport reads a charge report, {"charges": [...]}. A problem with the
// report as a whole is an error; a problem with one item is returned in
// itemErrs at its index (nil for good items), so the others can be kept.
func DecodeReport(body []byte) (charges []netflix.NewCharge, itemErrs []error, err error) {
	var report map[string]json.RawMessage
	if err := json.Unmarshal(body, &report); err != nil || report == nil {
		return nil, nil, carebridge.Errorf(carebridge.EINVALID, "The body must be a JSON object {\"charges\": [...]}.")
	}
	// The decoder keeps the last of a name given twice and reads a lone
	// surrogate as U+FFFD: a charge stored from either is not the one sent.
	if err := strict.JSON(body); err != nil {
		return nil, nil, carebridge.Errorf(carebridge.EINVALID, "%v.", err)
	}
	raw, ok := report["charges"]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, nil, carebridge.Errorf(carebridge.EMISSING, "charges is mandatory.")
	}
	for k := range report {
		if k != "charges" {
			return nil, nil, carebridge.Errorf(carebridge.EINVALID, "%s is not a field of a charge report.", k)
		}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, carebridge.Errorf(carebridge.EINVALID, "charges must be an array.")
	}
	if len(items) == 0 || len(items) > netflix.MaxChargesPerReport {
		return nil, nil, carebridge.Errorf(carebridge.EINVALID, "charges must hold 1 to %d items; it holds %d.", netflix.MaxChargesPerReport, len(items))
	}
	charges = make([]netflix.NewCharge, len(items))
	itemErrs = make([]error, len(items))
	for i, item := range items {
		charges[i], itemErrs[i] = decodeCharge(item)
	}
	return charges, itemErrs, nil
}

// item reads one charge's fields with exact types.
type item struct {
	raw map[string]json.RawMessage
	err error
}

func (it *item) fail(format string, args ...any) {
	if it.err == nil {
		it.err = carebridge.Errorf(carebridge.EINVALID, format, args...)
	}
}

func (it *item) take(name string) (json.RawMessage, bool) {
	v, ok := it.raw[name]
	delete(it.raw, name)
	return v, ok && !bytes.Equal(v, []byte("null"))
}

func (it *item) string(name string) string {
	v, ok := it.take(name)
	if !ok {
		return ""
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		it.fail("%s must be a string.", name)
	}
	return s
}

// number returns a JSON number's literal, so money is never a float.
func (it *item) number(name string) string {
	v, ok := it.take(name)
	if !ok {
		return ""
	}
	var n json.Number
	if v[0] == '"' || json.Unmarshal(v, &n) != nil {
		it.fail("%s must be a number.", name)
		return ""
	}
	return n.String()
}

// amount reads an amount in its currency; a fault of the currency is
// reported against the currency's member, any other against the amount's.
func (it *item) amount(name, currencyName, number, currency string) money.Amount {
	if number == "" {
		return money.Amount{}
	}
	if _, ok := money.Digits(currency); !ok {
		it.fail("%s: %q is not an ISO-4217 currency code.", currencyName, currency)
		return money.Amount{}
	}
	a, err := money.Parse(number, currency)
	if err != nil {
		it.fail("%s: %v.", name, err)
	}
	return a
}

func (it *item) date(name string) time.Time {
	s := it.string(name)
	if s == "" {
		return time.Time{}
	}
	t, err := face.ParseTime(s)
	if err != nil {
		it.fail("%s %v.", name, err)
	}
	if err == nil && t.IsZero() && it.err == nil {
		// 0001-01-01T00:00:00 is the zero time, which the domain reads as
		// "not given": let it judge the date while it is still known.
		it.err = netflix.ValidateChargeDate(name, t)
	}
	return t
}

func decodeCharge(raw json.RawMessage) (netflix.NewCharge, error) {
	it := &item{}
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &it.raw) != nil {
		return netflix.NewCharge{}, carebridge.Errorf(carebridge.EINVALID, "The charge must be an object.")
	}
	c := netflix.NewCharge{
		PartnerChargeID: it.string("partner_charge_id"),
		Customer:        it.string("billing_system_customer_identifier"),
	}
	amount, currency := it.number("amount"), it.string("currency")
	localAmount, localCurrency := it.number("local_currency_amount"), it.string("local_currency")
	c.PaidThroughDate = it.date("paid_through_date")
	c.ReceivedOn = it.date("received_on")
	if it.err == nil {
		switch {
		case amount == "":
			return c, carebridge.Errorf(carebridge.EMISSING, "amount is mandatory.")
		case currency == "":
			return c, carebridge.Errorf(carebridge.EMISSING, "currency is mandatory.")
		case (localAmount == "") != (localCurrency == ""):
			return c, carebridge.Errorf(carebridge.EINVALID, "local_currency_amount and local_currency go together.")
		}
	}
	c.Amount = it.amount("amount", "currency", amount, currency)
	c.LocalAmount = it.amount("local_currency_amount", "local_currency", localAmount, localCurrency)
	if len(it.raw) > 0 && it.err == nil {
		names := make([]string, 0, len(it.raw))
		for k := range it.raw {
			names = append(names, k)
		}
		sort.Strings(names)
		it.fail("%s is not a field of a charge.", names[0])
	}
	// The domain's rules (Service.Ingest) are checked once, there.
	return c, it.err
}
