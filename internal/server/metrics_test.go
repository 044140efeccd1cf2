package server_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"carebridge/internal/server"
)

// sample is one line of a scrape: a metric name, its labels and value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// parseScrape reads the Prometheus text format well enough for the tests:
// every sample line, comments skipped.
func parseScrape(t *testing.T, body []byte) []sample {
	t.Helper()
	var out []sample
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("scrape line not understood: %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", line, err)
		}
		s := sample{name: m[1], labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out = append(out, s)
	}
	return out
}

// find returns the value of the sample named name whose labels include
// want, and whether there is one.
func find(samples []sample, name string, want map[string]string) (float64, bool) {
	for _, s := range samples {
		if s.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if s.labels[k] != v {
				match = false
			}
		}
		if match {
			return s.value, true
		}
	}
	return 0, false
}

func scrape(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s\n%s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return body
}

func send(t *testing.T, method, url, body string, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Identifiers that requests below carry in paths, queries and headers:
// none of them may become a label value.
const (
	customerID   = "1649"
	crmCustomer  = "pci150"
	chargeNumber = "I00002662"
	secretToken  = "0123456789ABCDEF0123456789ABCDEF"
)

// TestMetricsCountRequestsByRouteTemplate scrapes a started server after
// requests to every face and checks each was counted under its face,
// route template and status, and that no identifier became a label.
func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	type want struct {
		face, route string
		status      int
	}
	requests := []struct {
		method, path, body string
		header             []string
		want               want
	}{
		{"GET", "/healthz", "", nil, want{"health", "GET /healthz", 200}},
		{"GET", "/healthz", "", nil, want{"health", "GET /healthz", 200}},
		{"GET", "/v1/ocp/customers/" + customerID, "", []string{"Authorization", "bearer " + secretToken},
			want{"ocp", "GET /v1/ocp/customers/{id}", 401}},
		{"GET", "/v1/ocp/customers/" + customerID + "/customer_profile?access_token=" + secretToken, "", nil,
			want{"ocp", "GET /v1/ocp/customers/{id}/customer_profile", 401}},
		{"GET", "/crmapi/rest/v2/netflix/subscriptions/show?token=" + secretToken + "&billing_system_customer_identifier=" + crmCustomer, "", nil,
			want{"crmapi", "GET /crmapi/rest/v2/netflix/subscriptions/show", 401}},
		{"GET", "/crmapi/rest/v2/netflix/charges/" + chargeNumber, "", nil,
			want{"crmapi", "/crmapi/rest/v2/", 404}},
		{"POST", "/jsonrpc", `{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`, []string{"Authorization", "Bearer " + secretToken},
			want{"jsonrpc", "/jsonrpc", 0}},
		{"POST", "/partner/netflix/v1/charges", `{"charges":[{"number":"` + chargeNumber + `"}]}`, nil,
			want{"partner", "/partner/netflix/v1/charges", 0}},
		{"POST", "/care/login", `{"organisation":"demo","username":"` + crmCustomer + `","password":"` + secretToken + `"}`, []string{"Content-Type", "application/json"},
			want{"care", "POST /care/login", 401}},
		{"POST", "/care/logout", "", []string{"Authorization", "Bearer " + secretToken}, want{"care", "POST /care/logout", 401}},
		{"GET", "/care/login", "", nil, want{"care", "/care/", 405}},
		{"GET", "/care/sessions/" + secretToken, "", nil, want{"care", "/care/", 404}},
		{"GET", "/openrpc.json", "", nil, want{"jsonrpc", "GET /openrpc.json", 200}},
		{"GET", "/console/app.js", "", nil, want{"console", "/console/", 200}},
		{"GET", "/console/" + secretToken, "", nil, want{"console", "/console/", 404}},
		{"GET", "/customers/" + crmCustomer + "/charges/" + chargeNumber, "", nil, want{"other", "unmatched", 404}},
		{"GET", "/" + secretToken, "", nil, want{"other", "unmatched", 404}},
	}
	counts := map[want]float64{}
	for _, r := range requests {
		status := send(t, r.method, ts.URL+r.path, r.body, r.header...)
		w := r.want
		if w.status != 0 && status != w.status {
			t.Errorf("%s %s: status %d, want %d", r.method, r.path, status, w.status)
		}
		w.status = status
		counts[w]++
	}

	body := scrape(t, ts.URL+"/metrics")
	samples := parseScrape(t, body)
	for w, n := range counts {
		labels := map[string]string{"face": w.face, "route": w.route, "status": strconv.Itoa(w.status)}
		if got, ok := find(samples, "carebridge_http_requests_total", labels); !ok || got != n {
			t.Errorf("carebridge_http_requests_total%v = %v (present %v), want %v", labels, got, ok, n)
		}
		if got, ok := find(samples, "carebridge_http_request_duration_seconds_count", labels); !ok || got != n {
			t.Errorf("carebridge_http_request_duration_seconds_count%v = %v (present %v), want %v", labels, got, ok, n)
		}
	}
	// The scrape being answered is the one request in flight.
	if got, ok := find(samples, "carebridge_http_requests_in_flight", nil); !ok || got != 1 {
		t.Errorf("carebridge_http_requests_in_flight = %v (present %v), want 1 during the scrape", got, ok)
	}
	noIdentifierLabels(t, samples)
	if got, ok := find(samples, "carebridge_build_info", nil); !ok || got != 1 {
		t.Errorf("carebridge_build_info = %v (present %v), want 1", got, ok)
	} else {
		for _, s := range samples {
			if s.name == "carebridge_build_info" && (s.labels["version"] == "" || s.labels["revision"] == "") {
				t.Errorf("carebridge_build_info labels %v: want version and revision", s.labels)
			}
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if _, ok := find(samples, name, nil); !ok {
			t.Errorf("%s missing from the scrape", name)
		}
	}

	// The first scrape has ended: it is counted, and no longer in flight.
	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	if got, _ := find(samples, "carebridge_http_requests_total", map[string]string{"face": "metrics", "route": "GET /metrics", "status": "200"}); got != 1 {
		t.Errorf("scrapes counted: %v, want 1", got)
	}
	if got, _ := find(samples, "carebridge_http_requests_in_flight", nil); got != 1 {
		t.Errorf("carebridge_http_requests_in_flight = %v after a scrape ended, want 1 (this scrape)", got)
	}
}

// TestMetricsElsewhere keeps /metrics off the main handler and serves it
// on a listener of its own.
func TestMetricsElsewhere(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{MetricsElsewhere: true})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	if status := send(t, "GET", ts.URL+"/metrics", ""); status != http.StatusNotFound {
		t.Errorf("main handler /metrics: %d, want 404", status)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeMetrics(t.Context(), ln) }()
	samples := parseScrape(t, scrape(t, "http://"+ln.Addr().String()+"/metrics"))
	if got, _ := find(samples, "carebridge_http_requests_total", map[string]string{"face": "other", "route": "unmatched", "status": "404"}); got != 1 {
		t.Errorf("the main address's /metrics request counted %v times as unmatched, want 1", got)
	}
	if status := send(t, "GET", "http://"+ln.Addr().String()+"/healthz", ""); status != http.StatusNotFound {
		t.Errorf("metrics listener /healthz: %d, want 404 (it serves /metrics alone)", status)
	}
	ln.Close()
	<-done
}

// TestMetricsPassPromtool lints a live scrape with promtool, which CI
// installs; elsewhere the test is skipped when promtool is missing.
func TestMetricsPassPromtool(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not on PATH; CI installs it (Debian package prometheus)")
		}
		t.Skip("promtool is not on PATH (Debian package prometheus): the scrape is not linted")
	}
	srv, _ := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	send(t, "GET", ts.URL+"/healthz", "")
	send(t, "GET", ts.URL+"/nowhere", "")
	body := scrape(t, ts.URL+"/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
