package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var metricsLine = regexp.MustCompile(`carebridge metrics on (http://\S+)`)

// TestServeMetricsAddr serves /metrics on --metrics-addr (or
// CAREBRIDGE_METRICS_ADDR) alone: the main address answers 404 for it.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		environ map[string]string
		args    []string
	}{
		{"flag", nil, []string{"--metrics-addr", "127.0.0.1:0"}},
		{"environment", map[string]string{"CAREBRIDGE_METRICS_ADDR": "127.0.0.1:0"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--addr", "127.0.0.1:0", "--db", dbPath(t)}, c.args...)
			s := startServe(t, c.environ, args...)
			m := metricsLine.FindStringSubmatch(s.waitStdout(t, "carebridge metrics on "))
			if m == nil {
				t.Fatalf("no metrics address printed:\n%s", s.stdout.String())
			}
			if status, _ := s.get(t, "/healthz"); status != http.StatusOK {
				t.Fatalf("/healthz: %d", status)
			}
			if status, _ := s.get(t, "/metrics"); status != http.StatusNotFound {
				t.Errorf("/metrics on the main address: %d, want 404", status)
			}
			resp, err := s.client.Get(m[1])
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", m[1], resp.StatusCode, body)
			}
			if want := `carebridge_http_requests_total{face="health",route="GET /healthz",status="200"} 1`; !strings.Contains(string(body), want) {
				t.Errorf("scrape of the metrics address lacks %q:\n%s", want, body)
			}
		})
	}
}

// TestServeMetricsOnMainAddr serves /metrics on the main address when no
// metrics address is given.
func TestServeMetricsOnMainAddr(t *testing.T) {
	t.Parallel()
	s := startServe(t, nil, "--addr", "127.0.0.1:0", "--db", dbPath(t))
	status, body := s.get(t, "/metrics")
	if status != http.StatusOK || !strings.Contains(string(body), "carebridge_build_info{") {
		t.Errorf("/metrics on the main address: %d\n%s", status, body)
	}
	if strings.Contains(s.stdout.String(), "carebridge metrics on ") {
		t.Errorf("a metrics address was printed without --metrics-addr:\n%s", s.stdout.String())
	}
}
