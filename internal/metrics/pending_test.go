package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrapeText(t *testing.T, m *Metrics) string {
	t.Helper()
	ts := httptest.NewServer(m.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", resp.StatusCode, body)
	}
	return string(body)
}

// A database that cannot answer costs the scrape its two backlog gauges,
// not the whole scrape.
func TestPendingQueryFailureLeavesTheRest(t *testing.T) {
	m := New()
	m.WatchPending(func(context.Context) (int64, time.Time, error) {
		return 0, time.Time{}, errors.New("database is down")
	}, time.Now)
	body := scrapeText(t, m)
	if strings.Contains(body, "carebridge_charges_pending ") || strings.Contains(body, "carebridge_settlement_lag_seconds ") {
		t.Errorf("backlog gauges served without a backlog:\n%s", body)
	}
	if !strings.Contains(body, "carebridge_build_info{") {
		t.Errorf("the rest of the scrape is missing:\n%s", body)
	}
}

// The lag is measured on the given clock, and a charge stamped after it
// (a replica whose clock is behind) reads as no lag rather than a
// negative one.
func TestPendingLag(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		oldest time.Time
		want   string
	}{
		{now.Add(-90 * time.Second), "carebridge_settlement_lag_seconds 90\n"},
		{now.Add(time.Minute), "carebridge_settlement_lag_seconds 0\n"},
	} {
		m := New()
		m.WatchPending(func(context.Context) (int64, time.Time, error) { return 3, c.oldest, nil }, func() time.Time { return now })
		body := scrapeText(t, m)
		if !strings.Contains(body, c.want) || !strings.Contains(body, "carebridge_charges_pending 3\n") {
			t.Errorf("oldest %v: want %q and 3 pending in\n%s", c.oldest, c.want, body)
		}
	}
}
