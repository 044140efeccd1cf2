package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"carebridge/internal/bench"
)

const benchHelp = `Generates data, starts 'carebridge serve' on it as a child process on
127.0.0.1, drives it over HTTP and WebSocket for --duration per scenario, and
prints throughput, exact p50/p99/max latency, errors, the server's RSS and
the ratio to two baselines measured in the same run (a bare net/http handler;
durable single-row SQLite commits on the same disk with the server's pragmas).
--db defaults to a temporary SQLite file, not to $CAREBRIDGE_DB: the run adds
an organisation bench-<random> with its data to the database, so give --db
only a scratch database. The exit status is 1 when any operation failed.

Scenarios:`

func benchCmd(e env, args []string) error {
	var names []string
	for _, sc := range bench.Scenarios {
		names = append(names, "\n  "+sc.Name+": "+sc.Description)
	}
	fs, db := e.helpFlags("bench", "[flags]", benchHelp+strings.Join(names, "")+"\n", args)
	// Not $CAREBRIDGE_DB: the bench writes its data into the database.
	dbFlag := fs.Lookup("db")
	dbFlag.DefValue, dbFlag.Usage = "", "database: a SQLite file path or postgres://… (default: a temporary SQLite file)"
	*db = ""
	duration := fs.Duration("duration", 10*time.Second, "how long each scenario runs")
	connections := fs.Int("connections", 64, "concurrent connections of the HTTP scenarios (rpc_ws uses at most 8)")
	scale := fs.Float64("scale", 1, "data size multiplier (1: 10000 OCP customers, 2000 subscriptions, 100000 charges, 100000 devices)")
	scenarios := fs.String("scenarios", "all", "comma-separated scenarios to run")
	jsonFile := fs.String("json", "", "also write the results as JSON to this file (- for standard output)")
	profileDir := fs.String("profile", "", "write a CPU profile of the server per scenario (<scenario>.pprof) into this directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *duration < 10*time.Millisecond || *duration > 5*time.Minute:
		return fmt.Errorf("--duration must be between 10ms and 5m; got %s", *duration)
	case *connections < 1 || *connections > 1024:
		return fmt.Errorf("--connections must be between 1 and 1024; got %d", *connections)
	case !(*scale > 0 && *scale <= 100):
		return fmt.Errorf("--scale must be above 0 and at most 100; got %g", *scale)
	}
	selected, err := bench.ParseScenarios(*scenarios)
	if err != nil {
		return err
	}
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			return err
		}
	}
	// Fail on an unwritable --json before the run, not after it.
	var out *os.File
	if *jsonFile != "" && *jsonFile != "-" {
		if out, err = os.Create(*jsonFile); err != nil {
			return err
		}
		defer out.Close()
	}

	start := time.Now()
	report, err := bench.Run(e.ctx, bench.Config{
		DB: *db, Duration: *duration, Connections: *connections, Scale: *scale,
		Scenarios: selected, Progress: e.stderr, ProfileDir: *profileDir,
	})
	if err != nil {
		return err
	}
	if err := report.WriteTable(e.stdout); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\ntotal wall time %s\n", time.Since(start).Round(100*time.Millisecond))
	switch *jsonFile {
	case "":
	case "-":
		if err := report.WriteJSON(e.stdout); err != nil {
			return err
		}
	default:
		if err := report.WriteJSON(out); err != nil {
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	if n := report.Errors(); n > 0 {
		return fmt.Errorf("%d operations failed (see the table)", n)
	}
	return nil
}

// benchBaseline is the bench's bare handler in a process of its own
// (hidden: the bench starts it).
func benchBaseline(e env, args []string) error {
	fs := flag.NewFlagSet(bench.BaselineCommand, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	fs.String("log-format", "", "ignored: the bare handler logs nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !loopback(*addr) {
		return fmt.Errorf("the bare handler listens on loopback addresses only, not %q", *addr)
	}
	return bench.ServeBaseline(e.ctx, *addr, e.stdout)
}
