package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"carebridge/internal/bench"
	"carebridge/internal/cli"
)

// childEnv makes this test binary `carebridge` itself, so that the
// end-to-end test can start `serve` as a child process.
const childEnv = "CAREBRIDGE_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value p50", durations(7), 50, 7 * time.Millisecond},
		{"one value p99", durations(7), 99, 7 * time.Millisecond},
		{"1..100 p50", hundred, 50, 50 * time.Millisecond},
		{"1..100 p99", hundred, 99, 99 * time.Millisecond},
		{"1..100 p100", hundred, 100, 100 * time.Millisecond},
		{"1..100 p1", hundred, 1, 1 * time.Millisecond},
		{"1..100 p0.5", hundred, 0.5, 1 * time.Millisecond},
		{"ten p50", durations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{"ten p99", durations(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"four p50", durations(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"four p51", durations(1, 2, 3, 4), 51, 3 * time.Millisecond},
	} {
		if got := bench.Percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: Percentile(p%g) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	if s := bench.Summarize(nil); s != (bench.Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", s)
	}
	// Unsorted, with a slow outlier: p50 is the middle, p99 and max the
	// outlier (nearest rank over 5 values).
	lat := durations(30, 10, 500, 20, 40)
	s := bench.Summarize(lat)
	want := bench.Summary{Count: 5, P50: 30 * time.Millisecond, P99: 500 * time.Millisecond, Max: 500 * time.Millisecond}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if !slices.IsSorted(lat) {
		t.Errorf("Summarize left its input unsorted: %v", lat)
	}
	// 1000 values 1..1000 in reverse: p99 is the 990th.
	many := make([]time.Duration, 1000)
	for i := range many {
		many[i] = time.Duration(1000-i) * time.Microsecond
	}
	s = bench.Summarize(many)
	if s.P50 != 500*time.Microsecond || s.P99 != 990*time.Microsecond || s.Max != 1000*time.Microsecond {
		t.Errorf("Summarize(1..1000µs) = %+v, want p50 500µs, p99 990µs, max 1ms", s)
	}
}

func TestParseScenarios(t *testing.T) {
	t.Parallel()
	for _, all := range []string{"", " ", "all"} {
		if got, err := bench.ParseScenarios(all); err != nil || got != nil {
			t.Errorf("ParseScenarios(%q) = %v, %v; want nil (all)", all, got, err)
		}
	}
	got, err := bench.ParseScenarios(" rpc_ws, ocp_read,rpc_ws,")
	if err != nil || !reflect.DeepEqual(got, []string{"rpc_ws", "ocp_read"}) {
		t.Errorf("ParseScenarios = %v, %v; want [rpc_ws ocp_read]", got, err)
	}
	if _, err := bench.ParseScenarios("ocp_read,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "charges_drain") {
		t.Errorf("ParseScenarios with an unknown name: %v; want an error naming it and listing the scenarios", err)
	}
}

// sampleReport is a report as a run makes it, with round numbers.
func sampleReport() *bench.Report {
	return &bench.Report{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), TotalSeconds: 98.5,
		Platform: "linux/amd64", CPUs: 2, GoVersion: "go1.26.8",
		Database: "SQLite, temporary file /tmp/x/bench.db (WAL, synchronous=FULL)",
		Scale:    1, DurationSeconds: 10, Connections: 64,
		Data: &bench.Data{Organisation: "bench-00ff", OCPCustomers: 10000, Subscriptions: 2000, Charges: 100000, Devices: 100000, LoadSeconds: 36.7},
		Server: &bench.ServerInfo{
			Command: "carebridge serve", PID: 4242, RSSSource: "/proc/4242/status",
			StartToReadyMs: 21, ListeningMs: 18.1, ChargesAtStart: 100000,
			IdleRSSBytes: 16 << 20, PeakRSSBytes: 80 << 20,
		},
		Results: []bench.Result{
			{Name: "http_baseline", Connections: 64, Unit: "request", Ops: 200000, Seconds: 10, OpsPerSec: 20000,
				P50Ms: 2.5, P99Ms: 11, MaxMs: 27, CPUMicrosPerOp: 38.4, VsHTTP: 1, VsCommit: 10},
			{Name: "commit_baseline", Connections: 1, Unit: "commit", Ops: 20000, Seconds: 10, OpsPerSec: 2000,
				P50Ms: 0.45, P99Ms: 2.3, MaxMs: 7.9, VsHTTP: 0.1, VsCommit: 1},
			{Name: "charges_drain", Connections: 1, Unit: "list+ack", Ops: 470, Seconds: 10, OpsPerSec: 47,
				ItemUnit: "charges", Items: 23500, ItemsPerSec: 2350, P50Ms: 20.6, P99Ms: 37.6, MaxMs: 150,
				Errors: 2, ErrorSamples: []string{"charges/acknowledge: HTTP 503: busy"}, PeakRSSBytes: 58 << 20,
				VsHTTP: 0.00235, VsCommit: 0.0235},
			{Name: "rpc_ws", Connections: 8, Pipeline: 16, Unit: "request", Ops: 212000, Seconds: 10, OpsPerSec: 21200,
				P50Ms: 4.96, P99Ms: 16.4, MaxMs: 12345, CPUMicrosPerOp: 21, PeakRSSBytes: 40 << 20, VsHTTP: 1.06, VsCommit: 10.6},
		},
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"carebridge bench — 2026-01-02T03:04:05Z, linux/amd64, 2 CPUs, go1.26.8\n",
		"database: SQLite, temporary file /tmp/x/bench.db",
		"10000 OCP customers, 2000 subscriptions, 100000 charges, 100000 devices; loaded in 36.7s",
		"child process `carebridge serve` (pid 4242)",
		"RSS is the server's alone, read from /proc/4242/status",
		"each scenario ran 10s; up to 64 connections",
		"startup: ready 21.0ms after exec (listening after 18.1ms), on a database holding 100000 generated charges",
		"memory: RSS idle after start 16.0 MiB; peak RSS of the server over the run (VmHWM) 80.0 MiB",
		"charges_drain: 2 errors, for example:\n  charges/acknowledge: HTTP 503: busy\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	// The table proper: a header and one row per result, every column
	// right-aligned on the header's right edge.
	lines := strings.Split(out, "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "scenario ") })
	if start < 0 {
		t.Fatalf("no header row:\n%s", out)
	}
	header := strings.Fields(lines[start])
	wantHeader := []string{"scenario", "conns", "ops", "op/s", "items/s", "p50", "p99", "max", "errors", "cpu/op", "peak", "RSS", "×http", "×commit"}
	if !reflect.DeepEqual(header, wantHeader) {
		t.Errorf("header %q, want %q", header, wantHeader)
	}
	wantRows := [][]string{
		{"http_baseline", "64", "200000", "20000", "-", "2.50ms", "11.0ms", "27.0ms", "0", "38µs", "-", "1.00", "10.0"},
		{"commit_baseline", "1", "20000", "2000", "-", "450µs", "2.30ms", "7.90ms", "0", "-", "-", "0.10", "1.00"},
		{"charges_drain", "1", "470", "47.0", "2350", "charges", "20.6ms", "37.6ms", "150ms", "2", "-", "58.0", "MiB", "0.00", "0.02"},
		{"rpc_ws", "8×16", "212000", "21200", "-", "4.96ms", "16.4ms", "12.3s", "0", "21µs", "40.0", "MiB", "1.06", "10.6"},
	}
	width := len([]rune(lines[start]))
	for i, want := range wantRows {
		line := lines[start+1+i]
		if got := strings.Fields(line); !reflect.DeepEqual(got, want) {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
		if n := len([]rune(line)); n != width {
			t.Errorf("row %d is %d characters wide, the header %d:\n%s\n%s", i, n, width, lines[start], line)
		}
	}
	if next := lines[start+1+len(wantRows)]; next != "" {
		t.Errorf("after the rows: %q, want a blank line", next)
	}
}

func TestWriteTableWithoutServer(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Data, r.Server, r.Results = nil, nil, r.Results[:2]
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"server:", "startup:", "memory:", "data ("} {
		if strings.Contains(b.String(), absent) {
			t.Errorf("a run without the server prints %q:\n%s", absent, b.String())
		}
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back bench.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("the JSON does not decode: %v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("JSON round trip changed the report:\n got %+v\nwant %+v", back, *r)
	}
	// The names a consumer reads.
	var raw map[string]any
	json.Unmarshal(b.Bytes(), &raw)
	for _, k := range []string{"started", "total_seconds", "database", "scale", "duration_seconds", "connections", "data", "server", "results"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	server := raw["server"].(map[string]any)
	for _, k := range []string{"start_to_ready_ms", "idle_rss_bytes", "peak_rss_bytes", "rss_source", "pid"} {
		if _, ok := server[k]; !ok {
			t.Errorf("JSON server lacks %q", k)
		}
	}
	drain := raw["results"].([]any)[2].(map[string]any)
	for k, want := range map[string]any{
		"name": "charges_drain", "ops": 470.0, "ops_per_sec": 47.0, "items_per_sec": 2350.0, "item_unit": "charges",
		"p50_ms": 20.6, "p99_ms": 37.6, "max_ms": 150.0, "errors": 2.0, "peak_rss_bytes": float64(58 << 20),
	} {
		if drain[k] != want {
			t.Errorf("JSON charges_drain %q = %v, want %v", k, drain[k], want)
		}
	}
	if r.Errors() != 2 {
		t.Errorf("Errors() = %d, want 2", r.Errors())
	}
}

// TestRunEndToEnd runs every scenario briefly on a tiny data set: the
// server is this test binary running `serve` as a child process.
func TestRunEndToEnd(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	report, err := bench.Run(ctx, bench.Config{
		Duration: 200 * time.Millisecond, Connections: 4, Scale: 0.002,
		ServerCommand: []string{exe, "serve"}, ServerEnv: []string{childEnv + "=1"},
		Progress: &progress,
	})
	t.Logf("progress:\n%s", progress.String())
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := report.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())

	onLinux := runtime.GOOS == "linux"
	var names []string
	for _, res := range report.Results {
		names = append(names, res.Name)
		if res.Ops == 0 || res.OpsPerSec <= 0 || res.P50Ms <= 0 || res.MaxMs < res.P99Ms || res.P99Ms < res.P50Ms {
			t.Errorf("%s: no plausible measurement: %+v", res.Name, res)
		}
		if res.Errors != 0 {
			t.Errorf("%s: %d errors: %q", res.Name, res.Errors, res.ErrorSamples)
		}
		if res.VsHTTP <= 0 || res.VsCommit <= 0 {
			t.Errorf("%s: ratios %g, %g; want both", res.Name, res.VsHTTP, res.VsCommit)
		}
		server := res.Name != bench.HTTPBaseline && res.Name != bench.CommitBaseline
		if onLinux && server && res.PeakRSSBytes <= 0 {
			t.Errorf("%s: no peak RSS", res.Name)
		}
		if onLinux && res.Name != bench.CommitBaseline && res.CPUMicrosPerOp <= 0 {
			t.Errorf("%s: no CPU time per op", res.Name)
		}
		if res.ItemUnit != "" && res.Items <= 0 {
			t.Errorf("%s: no %s", res.Name, res.ItemUnit)
		}
	}
	want := []string{"http_baseline", "commit_baseline", "ocp_read", "crm_show", "rpc_ws", "sub_write", "charges_drain", "register_devices", "partner_intake"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("scenarios %q, want %q", names, want)
	}
	s := report.Server
	if s == nil || s.StartToReadyMs <= 0 || s.ListeningMs <= 0 || s.StartToReadyMs < s.ListeningMs || s.ChargesAtStart != 200 {
		t.Errorf("server = %+v; want the start-up measured on 200 charges", s)
	} else if onLinux && (s.IdleRSSBytes <= 0 || s.PeakRSSBytes < s.IdleRSSBytes) {
		t.Errorf("server RSS idle %d, peak %d", s.IdleRSSBytes, s.PeakRSSBytes)
	}
	if d := report.Data; d == nil || d.OCPCustomers != 20 || d.Subscriptions != 4 || d.Charges != 200 || d.Devices != 200 {
		t.Errorf("data = %+v; want scale 0.002 of the base sizes", d)
	}
}

// TestRunProfiles: with a ProfileDir the run writes the server's CPU
// profile of each scenario it serves.
func TestRunProfiles(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err = bench.Run(ctx, bench.Config{
		Duration: 100 * time.Millisecond, Connections: 2, Scale: 0.001,
		Scenarios:     []string{bench.HTTPBaseline, bench.CRMShow},
		ServerCommand: []string{exe, "serve"}, ServerEnv: []string{childEnv + "=1"},
		ProfileDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "crm_show.pprof" {
		t.Fatalf("profiles %v, want crm_show.pprof alone (the baseline is not the server)", entries)
	}
	b, err := os.ReadFile(filepath.Join(dir, "crm_show.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 100 || b[0] != 0x1f || b[1] != 0x8b { // pprof profiles are gzipped protocol buffers
		t.Fatalf("crm_show.pprof is not a profile: %d bytes starting %x", len(b), b[:min(len(b), 4)])
	}
}
