package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"carebridge/internal/partnerapi"
	"carebridge/internal/server"
	"carebridge/internal/signature"
	"carebridge/internal/testserver"
)

// value is a sample's value; the test fails when it is missing.
func value(t *testing.T, samples []sample, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := find(samples, name, labels)
	if !ok {
		t.Fatalf("%s%v missing from the scrape", name, labels)
	}
	return v
}

// postJSON sends body and decodes the answer into out.
func postJSON(t *testing.T, url, body string, out any, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// TestMetricsMoneyFlow follows charges from a signed report to settlement
// and acknowledgement: the backlog and its age are read at scrape time
// (the processor is not running, so charges wait while the clock moves),
// then settlement empties it and is counted, and intake and
// acknowledgement items are counted by outcome.
func TestMetricsMoneyFlow(t *testing.T) {
	t.Parallel()
	clk := testserver.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, stores := newServer(t, server.Config{Now: clk.Now, SettleInterval: time.Hour})
	ctx := t.Context()
	op, _, err := srv.LoadDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	samples := parseScrape(t, scrape(t, ts.URL+"/metrics"))
	if got := value(t, samples, "carebridge_charges_pending", nil); got != 5 {
		t.Fatalf("pending after the demo load = %v, want its 5 charges", got)
	}
	if got := value(t, samples, "carebridge_settlement_lag_seconds", nil); got != 0 {
		t.Fatalf("lag before the clock moved = %v, want 0", got)
	}

	clk.Advance(10 * time.Minute)
	secret, err := stores.Tenancy.PartnerSecret(ctx, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	item := `{"partner_charge_id":"m-1","billing_system_customer_identifier":"pci150","amount":5.99,"currency":"USD","received_on":"2017-02-04T02:00:00"}`
	bad := `{"partner_charge_id":"m-2","billing_system_customer_identifier":"pci150","amount":5.99,"currency":"XXQ","received_on":"2017-02-04T02:00:00"}`
	body := `{"charges":[` + item + `,` + item + `,` + bad + `]}`
	if status := postJSON(t, ts.URL+partnerapi.Path, body, nil,
		partnerapi.OperatorHeader, strconv.FormatInt(op.ID, 10), partnerapi.SignatureHeader, signature.Sign(secret, clk.Now(), []byte(body))); status != http.StatusOK {
		t.Fatalf("signed report: %d", status)
	}

	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	if got := value(t, samples, "carebridge_charges_pending", nil); got != 6 {
		t.Errorf("pending = %v, want 6 (the demo's 5 and the one reported)", got)
	}
	if got := value(t, samples, "carebridge_settlement_lag_seconds", nil); got != 600 {
		t.Errorf("lag = %v, want 600: the demo's charges have waited ten minutes", got)
	}
	for outcome, want := range map[string]float64{"created": 1, "duplicate": 1, "rejected": 1} {
		if got := value(t, samples, "carebridge_partner_intake_items_total", map[string]string{"outcome": outcome}); got != want {
			t.Errorf("intake %s = %v, want %v", outcome, got, want)
		}
	}
	if got := value(t, samples, "carebridge_settlement_batches_total", nil); got != 0 {
		t.Errorf("settlement batches before any ran = %v", got)
	}

	if n, err := srv.Processor.Drain(ctx); err != nil || n != 6 {
		t.Fatalf("Drain = %d, %v; want 6 settled", n, err)
	}
	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	if got := value(t, samples, "carebridge_charges_pending", nil); got != 0 {
		t.Errorf("pending after settlement = %v, want 0", got)
	}
	if got := value(t, samples, "carebridge_settlement_lag_seconds", nil); got != 0 {
		t.Errorf("lag after settlement = %v, want 0", got)
	}
	if got := value(t, samples, "carebridge_settlement_batches_total", nil); got != 1 {
		t.Errorf("settlement batches = %v, want 1", got)
	}
	if got := value(t, samples, "carebridge_settlement_charges_total", nil); got != 6 {
		t.Errorf("settled charges = %v, want 6", got)
	}
	if got := value(t, samples, "carebridge_settlement_batch_duration_seconds_count", nil); got != 1 {
		t.Errorf("settlement durations observed = %v, want 1", got)
	}

	var login struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	postJSON(t, ts.URL+"/crmapi/rest/v2/authentication/token", `{"organisation":"demo","username":"demo","password":"demo"}`, &login)
	if login.Data.Token == "" {
		t.Fatal("demo login gave no token")
	}
	if status := postJSON(t, ts.URL+"/crmapi/rest/v2/netflix/charges/acknowledge", `{"token":"`+login.Data.Token+`","acknowledged_charges_set":[
		{"number":"I00002662","billing_system_customer_identifier":"pci150"},
		{"number":"I00002776","billing_system_customer_identifier":"pci150"}]}`, nil); status != http.StatusOK {
		t.Fatalf("acknowledge: %d", status)
	}
	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	for outcome, want := range map[string]float64{"acknowledged": 1, "failed": 1} {
		if got := value(t, samples, "carebridge_charges_acknowledgements_total", map[string]string{"outcome": outcome}); got != want {
			t.Errorf("acknowledgements %s = %v, want %v", outcome, got, want)
		}
	}
}
