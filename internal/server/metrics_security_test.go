package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"carebridge/internal/partnerapi"
	"carebridge/internal/server"
	"carebridge/internal/signature"
)

// loginAs tries a CRM.COM login and returns its HTTP status.
func loginAs(t *testing.T, base, username, password string) int {
	t.Helper()
	return send(t, "POST", base+"/crmapi/rest/v2/authentication/token",
		`{"organisation":"demo","username":"`+username+`","password":"`+password+`"}`, "Content-Type", "application/json")
}

// tokenAs asks the OCP token endpoint for a token and returns its status.
func tokenAs(t *testing.T, base, clientID string) int {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"wrong"}}
	return send(t, "POST", base+"/v1/oauth/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// TestMetricsSecurity drives every throttle over HTTP until it refuses,
// and sends a wrongly signed partner report: each refusal is counted
// under its kind, failed logins and bad signatures on their own, and no
// username or client id becomes a label.
func TestMetricsSecurity(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{})
	if _, _, err := srv.LoadDemo(t.Context()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	samples := parseScrape(t, scrape(t, ts.URL+"/metrics"))
	for _, kind := range []string{"login_user", "login_address", "ocp_client", "ocp_address"} {
		if got := value(t, samples, "carebridge_security_throttle_refusals_total", map[string]string{"kind": kind}); got != 0 {
			t.Errorf("%s refusals before any request = %v", kind, got)
		}
	}

	// One user fails until its own limit (5) refuses it; then other users
	// fail once each until the address's limit (20) refuses a fresh one.
	failed := 0
	for loginAs(t, ts.URL, "demo", "wrong") != http.StatusTooManyRequests {
		if failed++; failed > 5 {
			t.Fatal("the user was never throttled")
		}
	}
	for i := 0; ; i++ {
		status := loginAs(t, ts.URL, "guess"+strconv.Itoa(i), "wrong")
		if status == http.StatusTooManyRequests {
			break
		}
		if failed++; failed > 20 {
			t.Fatal("the address was never throttled")
		}
	}

	// The same for OCP clients: 10 for a client id, 50 for an address.
	for n := 0; tokenAs(t, ts.URL, "app-88") != http.StatusTooManyRequests; n++ {
		if n >= 10 {
			t.Fatal("the OCP client was never throttled")
		}
	}
	for i, n := 0, 10; tokenAs(t, ts.URL, "app-guess"+strconv.Itoa(i)) != http.StatusTooManyRequests; i, n = i+1, n+1 {
		if n >= 50 {
			t.Fatal("the OCP address was never throttled")
		}
	}

	body := `{"charges":[]}`
	if status := send(t, "POST", ts.URL+partnerapi.Path, body, "Content-Type", "application/json",
		partnerapi.OperatorHeader, "1", partnerapi.SignatureHeader, signature.Sign("not-the-secret", time.Now(), []byte(body))); status != http.StatusUnauthorized {
		t.Fatalf("wrongly signed report: %d, want 401", status)
	}

	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	for _, kind := range []string{"login_user", "login_address", "ocp_client", "ocp_address"} {
		if got := value(t, samples, "carebridge_security_throttle_refusals_total", map[string]string{"kind": kind}); got != 1 {
			t.Errorf("%s refusals = %v, want 1", kind, got)
		}
	}
	if got := value(t, samples, "carebridge_security_failed_logins_total", nil); got != 20 {
		t.Errorf("failed logins = %v, want 20", got)
	}
	if got := value(t, samples, "carebridge_security_invalid_partner_signatures_total", nil); got != 1 {
		t.Errorf("invalid partner signatures = %v, want 1", got)
	}
	for _, s := range samples {
		for k, v := range s.labels {
			if strings.Contains(v, "guess") || strings.Contains(v, "app-88") || v == "demo" {
				t.Errorf("%s: label %s=%q carries a username or client id", s.name, k, v)
			}
		}
	}
}
