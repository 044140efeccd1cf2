// Package bench is carebridge's load tool: it generates data of a chosen
// size, starts `carebridge serve` as a child process on it, drives the
// server over real HTTP and WebSocket on 127.0.0.1 for a fixed duration per
// scenario, measures two baselines in the same run (a bare net/http
// handler, and SQLite's durable single-row commit rate on the same disk
// with the server's pragmas), and reports throughput, exact latency
// percentiles, errors and the server's RSS as a table or JSON.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config is what a run is told.
type Config struct {
	// DB is the database: "" for a temporary SQLite file (removed
	// afterwards), a SQLite path, or postgres://…. The run adds an
	// organisation named bench-<random> with its data to it.
	DB string
	// Duration is how long each load scenario runs.
	Duration time.Duration
	// Connections is the concurrency of the HTTP scenarios (rpc_ws uses
	// at most 8 of them).
	Connections int
	// Scale multiplies the data sizes (1: 10 000 OCP customers, 2 000
	// subscriptions, 100 000 charges, 100 000 devices).
	Scale float64
	// Scenarios to run; nil or empty: all of them.
	Scenarios []string
	// ServerCommand starts the server: the program and its arguments up to
	// the flags the bench adds (--addr, --log-format; the database goes in
	// CAREBRIDGE_DB). Default: this executable with "serve".
	ServerCommand []string
	// ServerEnv is added to the server's environment (which otherwise is
	// the bench's without CAREBRIDGE_* variables).
	ServerEnv []string
	// ProfileDir, when set, receives a CPU profile of the server over each
	// scenario it serves, as <scenario>.pprof (the server is started with
	// --debug-addr on 127.0.0.1).
	ProfileDir string
	// Progress receives a line per step; nil: none.
	Progress io.Writer
}

// The scenarios, in the order they run.
const (
	HTTPBaseline    = "http_baseline"
	CommitBaseline  = "commit_baseline"
	Startup         = "startup"
	Memory          = "memory"
	OCPRead         = "ocp_read"
	CRMShow         = "crm_show"
	RPCWebSocket    = "rpc_ws"
	SubscriptionMix = "sub_write"
	ChargesDrain    = "charges_drain"
	RegisterDevices = "register_devices"
	PartnerIntake   = "partner_intake"
)

// Scenarios lists every scenario with what it measures, in run order.
var Scenarios = []struct{ Name, Description string }{
	{HTTPBaseline, "baseline: a bare net/http handler answering a small JSON object (in a child process, like the server)"},
	{CommitBaseline, "baseline: durable single-row SQLite commits on the same disk with the server's pragmas, one connection"},
	{Startup, "exec of `carebridge serve` to the first 200 of /readyz, on a database holding the generated charges"},
	{Memory, "the server's RSS idle after start, and its peak (VmHWM) over the run"},
	{OCPRead, "OCP GET /v1/ocp/customers/{id} with a bearer token, random granted customers"},
	{CRMShow, "CRM.COM GET netflix/subscriptions/show, random subscribed customers"},
	{RPCWebSocket, "JSON-RPC Controller.1.status@Netflix over WebSocket, 8 connections with 16 requests in flight each"},
	{SubscriptionMix, "subscriptions create/suspend/unsuspend/cancel, a quarter each, each worker on its own customers"},
	{ChargesDrain, "one client lists PROCESSED charges 50 at a time and acknowledges them until none are left"},
	{RegisterDevices, "register_devices of 1000 new ESNs per call on an operator holding the generated devices"},
	{PartnerIntake, "one signed partner report of 1000 new charges per call"},
}

// needsServer: scenarios other than the two baselines need the server
// and the data.
func needsServer(name string) bool { return name != HTTPBaseline && name != CommitBaseline }

// ParseScenarios reads a comma-separated list of scenario names; "" or
// "all" is every scenario.
func ParseScenarios(s string) ([]string, error) {
	if s = strings.TrimSpace(s); s == "" || s == "all" {
		return nil, nil
	}
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.ContainsFunc(Scenarios, func(sc struct{ Name, Description string }) bool { return sc.Name == name }) {
			var names []string
			for _, sc := range Scenarios {
				names = append(names, sc.Name)
			}
			return nil, fmt.Errorf("unknown scenario %q; the scenarios are %s", name, strings.Join(names, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// runner is one run's state.
type runner struct {
	cfg      Config
	dir      string // temporary directory: SQLite file, server log, commit baseline
	dbURL    string
	data     *dataset
	srv      *child
	crmToken string
	ocpToken string
	progress func(format string, args ...any)
}

// Run runs the selected scenarios and returns their report. A scenario's
// failed operations are counted in its row, not returned as an error; an
// error means the run could not go on (the server did not start, the data
// could not be loaded, ctx ended).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 64
	}
	if cfg.Scale <= 0 {
		cfg.Scale = 1
	}
	selected := cfg.Scenarios
	if len(selected) == 0 {
		for _, sc := range Scenarios {
			selected = append(selected, sc.Name)
		}
	}
	if len(cfg.ServerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this program to start the server: %w", err)
		}
		cfg.ServerCommand = []string{exe, "serve"}
	}
	start := time.Now()
	r := &runner{cfg: cfg, progress: func(string, ...any) {}}
	if cfg.Progress != nil {
		r.progress = func(format string, args ...any) {
			fmt.Fprintf(cfg.Progress, "bench %6.1fs: "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
		}
	}
	report := &Report{
		Started: start, Platform: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), Scale: cfg.Scale, DurationSeconds: cfg.Duration.Seconds(),
		Connections: cfg.Connections, Results: []Result{},
	}

	var err error
	if r.dir, err = os.MkdirTemp("", "carebridge-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(r.dir)
	r.dbURL = cfg.DB
	switch {
	case r.dbURL == "":
		r.dbURL = filepath.Join(r.dir, "bench.db")
		report.Database = "SQLite, temporary file " + r.dbURL + " (WAL, synchronous=FULL)"
	case isPostgres(r.dbURL):
		report.Database = "PostgreSQL " + redact(r.dbURL)
	default:
		report.Database = "SQLite " + r.dbURL + " (WAL, synchronous=FULL)"
	}

	defer func() {
		if r.srv != nil {
			r.srv.stop()
		}
	}()
	if slices.ContainsFunc(selected, needsServer) {
		if err := r.startServer(ctx, report, selected); err != nil {
			return nil, err
		}
	}

	for _, sc := range Scenarios {
		if !slices.Contains(selected, sc.Name) || sc.Name == Startup || sc.Name == Memory {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := r.scenario(ctx, sc.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		res.Description = sc.Description
		report.Results = append(report.Results, res)
		r.progress("%s: %.0f op/s, p50 %s, p99 %s, %d errors", res.Name, res.OpsPerSec, fmtMs(res.P50Ms), fmtMs(res.P99Ms), res.Errors)
	}

	if r.srv != nil {
		if slices.Contains(selected, Memory) {
			if _, hwm, err := procStatus(r.srv.pid); err == nil {
				report.Server.PeakRSSBytes = hwm
			}
		}
		err := r.srv.stop()
		r.srv = nil
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("the server did not stop cleanly: %w", err)
		}
	}
	ratios(report.Results)
	report.TotalSeconds = time.Since(start).Seconds()
	return report, ctx.Err()
}

// startServer loads the data, starts the server and signs in.
func (r *runner) startServer(ctx context.Context, report *Report, selected []string) error {
	sz := sizesFor(r.cfg.Scale)
	r.progress("loading data: %d OCP customers, %d subscriptions, %d charges, %d devices", sz.ocpCustomers, sz.subscriptions, sz.charges, sz.devices)
	var err error
	if r.data, err = load(ctx, r.dbURL, sz, func(format string, args ...any) { r.progress("  "+format, args...) }); err != nil {
		return fmt.Errorf("load data: %w", err)
	}
	report.Data = &r.data.size
	r.progress("data loaded in %.1fs", r.data.size.LoadSeconds)

	argv := r.cfg.ServerCommand
	if r.cfg.ProfileDir != "" {
		argv = append(slices.Clip(argv), "--debug-addr", "127.0.0.1:0")
	}
	if r.srv, err = startChild(ctx, argv, r.cfg.ServerEnv, r.dbURL, filepath.Join(r.dir, "server.log")); err != nil {
		return err
	}
	info := &ServerInfo{Command: strings.Join(append([]string{filepath.Base(r.cfg.ServerCommand[0])}, r.cfg.ServerCommand[1:]...), " "), PID: r.srv.pid}
	if _, _, err := procStatus(r.srv.pid); err == nil {
		info.RSSSource = fmt.Sprintf("/proc/%d/status", r.srv.pid)
	}
	report.Server = info
	r.progress("server pid %d ready in %s on %s", r.srv.pid, r.srv.ready.Round(time.Millisecond), r.srv.base)
	if slices.Contains(selected, Startup) {
		info.StartToReadyMs, info.ListeningMs, info.ChargesAtStart = ms(r.srv.ready), ms(r.srv.listening), r.data.size.Charges
	}
	if slices.Contains(selected, Memory) {
		// Idle: after the start-up work (migrations check, the processor's
		// first look for charges) has settled.
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
		if rss, _, err := procStatus(r.srv.pid); err == nil {
			info.IdleRSSBytes = rss
		}
	}
	return r.signIn(ctx)
}

// scenario runs one scenario, sampling the server's RSS meanwhile.
func (r *runner) scenario(ctx context.Context, name string) (Result, error) {
	r.progress("%s for %s…", name, r.cfg.Duration)
	if !needsServer(name) {
		switch name {
		case HTTPBaseline:
			return r.httpBaseline(ctx)
		case CommitBaseline:
			return r.commitBaseline(ctx)
		}
	}
	if err := r.srv.alive(); err != nil {
		return Result{}, err
	}
	stop := r.srv.sampleRSS()
	cpu := cpuMeter(r.srv.pid)
	profiled := r.profile(ctx, name)
	var res Result
	var err error
	switch name {
	case OCPRead:
		res, err = r.ocpRead(ctx)
	case CRMShow:
		res, err = r.crmShow(ctx)
	case RPCWebSocket:
		res, err = r.rpcWebSocket(ctx)
	case SubscriptionMix:
		res, err = r.subscriptionMix(ctx)
	case ChargesDrain:
		res, err = r.chargesDrain(ctx)
	case RegisterDevices:
		res, err = r.registerDevices(ctx)
	case PartnerIntake:
		res, err = r.partnerIntake(ctx)
	default:
		err = errors.New("no such scenario")
	}
	res.PeakRSSBytes = stop()
	res.CPUMicrosPerOp = cpu(res.Ops)
	if perr := profiled(); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		err = r.srv.alive()
	}
	return res, err
}

// ratios fills each result's ratios to the baselines run.
func ratios(results []Result) {
	var httpRate, commitRate float64
	for _, res := range results {
		switch res.Name {
		case HTTPBaseline:
			httpRate = res.OpsPerSec
		case CommitBaseline:
			commitRate = res.OpsPerSec
		}
	}
	for i := range results {
		if httpRate > 0 {
			results[i].VsHTTP = results[i].OpsPerSec / httpRate
		}
		if commitRate > 0 {
			results[i].VsCommit = results[i].OpsPerSec / commitRate
		}
	}
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// redact hides a password in a database URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
