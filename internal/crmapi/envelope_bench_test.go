package crmapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// discardWriter is a ResponseWriter that keeps one header map across
// requests and counts the body, so that a benchmark measures the envelope
// and not a recorder's buffers.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// benchEnvelope writes env once into a recorder, checks that it is an OK
// envelope, and returns the body's length.
func benchEnvelope(b *testing.B, env envelope) int {
	b.Helper()
	rec := httptest.NewRecorder()
	writeEnvelope(rec, http.StatusOK, env)
	var got struct {
		Data   json.RawMessage `json:"data"`
		Status status          `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Status.Code != "OK" {
		b.Fatalf("HTTP %d, %v: %s", rec.Code, err, rec.Body)
	}
	return rec.Body.Len()
}

// runEnvelope measures writeEnvelope of env: one json.Marshal of the whole
// envelope, three headers and the write.
func runEnvelope(b *testing.B, env envelope) {
	size := benchEnvelope(b, env)
	w := &discardWriter{header: http.Header{}}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		writeEnvelope(w, http.StatusOK, env)
	}
	if w.n != size || w.status != http.StatusOK {
		b.Fatalf("wrote %d bytes with HTTP %d, want %d bytes with 200", w.n, w.status, size)
	}
	b.ReportMetric(float64(size), "B/response")
}

// BenchmarkEnvelopeSubscription encodes the subscriptions/show answer of a
// customer who redeemed the demo's two promotions and was charged $5.99,
// as showSubscription hands it to the envelope (prices already formatted).
func BenchmarkEnvelopeSubscription(b *testing.B) {
	promotions := promotionsJSON([]netflix.Promotion{
		{Code: "14", Name: "Test", EffectiveFrom: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Code: "15", Name: "Test_2", Description: "Second test promotion",
			EffectiveFrom: time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC), ExpiresOn: time.Date(2018, 2, 1, 0, 0, 0, 0, time.UTC)},
	})
	data := subscriptionJSON{
		NetflixState:       netflix.Effective,
		PromotionsSet:      promotions,
		SubscriptionNumber: netflix.SubscriptionNumber(3566),
		PricesSet:          []priceJSON{{FormattedPrice: money.Amount{Minor: 599, Currency: "USD"}.Format()}},
		LifeCycleState:     netflix.Effective,
	}
	runEnvelope(b, envelope{Data: data, Status: statusOK})
}

// benchCharges returns n charges/list items as listCharges builds them: a
// mix of approved, declined and pending charges, every third with a local
// currency amount, every other with a paid-through date.
func benchCharges(n int) []chargeJSON {
	received := time.Date(2017, 2, 21, 10, 7, 23, 0, time.UTC)
	out := make([]chargeJSON, n)
	for i := range out {
		ch := netflix.Charge{
			ID:         int64(2662 + i),
			Customer:   fmt.Sprintf("pci%03d", 100+i%37),
			Amount:     money.Amount{Minor: int64(199 + 100*(i%5)), Currency: "USD"},
			ReceivedOn: received.Add(time.Duration(i) * time.Minute),
			Status:     netflix.Approved,
		}
		ch.ApprovedOn = ch.ReceivedOn.Add(31 * time.Minute)
		switch i % 10 {
		case 3:
			ch.Status, ch.ApprovedOn, ch.DeclinedOn = netflix.Declined, time.Time{}, ch.ApprovedOn
		case 7:
			ch.Status, ch.ApprovedOn = netflix.Pending, time.Time{}
		}
		if i%3 == 0 {
			ch.LocalAmount = money.Amount{Minor: int64(550 + i), Currency: "EUR"}
		}
		if i%2 == 0 {
			ch.PaidThroughDate = ch.ReceivedOn.AddDate(0, 1, 0).Truncate(24 * time.Hour)
		}
		out[i] = chargeJSON{
			Number: ch.Number(), Customer: ch.Customer,
			Amount: amountJSON(ch.Amount), Currency: ch.Amount.Currency,
			LocalCurrencyAmount: amountJSON(ch.LocalAmount), LocalCurrency: nullable(ch.LocalAmount.Currency),
			PaidThroughDate: Time(ch.PaidThroughDate), ChargeStatus: ch.Status, ReceivedOn: Time(ch.ReceivedOn),
			SetAsApprovedOn: Time(ch.ApprovedOn), SetAsDeclinedOn: Time(ch.DeclinedOn),
			SetAsBadRequestOn: Time(ch.BadRequestOn), SetAsRejectedRequestOn: Time(ch.RejectedOn),
		}
	}
	return out
}

// BenchmarkEnvelopeChargesList50 encodes a full charges/list page (50
// charges, no fields_set).
func BenchmarkEnvelopeChargesList50(b *testing.B) {
	const n = 50
	runEnvelope(b, envelope{Data: chargesJSON{ChargesSet: benchCharges(n)}, Status: statusOK})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/charge")
}

// BenchmarkFieldsSet restricts a full charges/list page (50 charges) to
// five fields, as fields_set does: each charge is marshalled, unmarshalled
// into a map and re-assembled.
func BenchmarkFieldsSet(b *testing.B) {
	const n = 50
	charges := benchCharges(n)
	fs := parseFieldsSet("number, billing_system_customer_identifier, amount, currency, charge_status")
	got, err := fs.apply(charges)
	if err != nil {
		b.Fatal(err)
	}
	items, ok := got.([]json.RawMessage)
	if !ok || len(items) != n {
		b.Fatalf("apply returned %T of %d items", got, len(items))
	}
	want := `{"number":"I00002662","billing_system_customer_identifier":"pci100","amount":1.99,"currency":"USD","charge_status":"APPROVED"}`
	if string(items[0]) != want {
		b.Fatalf("first item %s, want %s", items[0], want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.apply(charges); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/charge")
}
