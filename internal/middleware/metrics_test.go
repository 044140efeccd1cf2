package middleware_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carebridge/internal/metrics"
	"carebridge/internal/middleware"
)

// metricsServer serves inner behind Metrics over real HTTP, labelled
// "test" and by r.Pattern; done receives once a request has been recorded.
func metricsServer(t *testing.T, m *metrics.Metrics, inner http.Handler) (*httptest.Server, chan struct{}) {
	t.Helper()
	done := make(chan struct{}, 1)
	labels := func(r *http.Request) (string, string) { return "test", r.Pattern }
	h := middleware.Metrics(m, labels, inner)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return srv, done
}

func scrapeText(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A request is recorded under the pattern the mux behind the middleware
// matched, with the status written, or 200 when the handler wrote nothing.
func TestMetricsRecordsPatternAndStatus(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.NotFound(w, r)
		}
	})
	srv, done := metricsServer(t, m, mux)
	for _, path := range []string{"/items/1", "/items/2", "/items/missing"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		waitLogged(t, done)
	}
	text := scrapeText(t, m)
	for _, want := range []string{
		`carebridge_http_requests_total{face="test",route="GET /items/{id}",status="200"} 2`,
		`carebridge_http_requests_total{face="test",route="GET /items/{id}",status="404"} 1`,
		`carebridge_http_request_duration_seconds_count{face="test",route="GET /items/{id}",status="200"} 2`,
		`carebridge_http_requests_in_flight 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q:\n%s", want, text)
		}
	}
}

// A failure after the client hung up counts as 499, as in the access log,
// so disconnects never count as the server's 5xx.
func TestMetricsClientGoneIs499(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		http.Error(w, r.Context().Err().Error(), http.StatusInternalServerError)
	})
	srv, done := metricsServer(t, m, mux)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request was answered; the client should have hung up first")
	}
	waitLogged(t, done)
	text := scrapeText(t, m)
	if want := `carebridge_http_requests_total{face="test",route="GET /slow",status="499"} 1`; !strings.Contains(text, want) {
		t.Errorf("scrape lacks %q:\n%s", want, text)
	}
	if strings.Contains(text, `status="500"`) {
		t.Errorf("a disconnect was counted as a 500:\n%s", text)
	}
}
