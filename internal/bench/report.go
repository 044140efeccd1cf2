package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Report is a whole bench run: the table's rows and what they were
// measured on. It is also the JSON the --json flag writes.
type Report struct {
	Started         time.Time   `json:"started"`
	TotalSeconds    float64     `json:"total_seconds"`
	Platform        string      `json:"platform"` // GOOS/GOARCH
	CPUs            int         `json:"cpus"`     // GOMAXPROCS of the bench process
	GoVersion       string      `json:"go_version"`
	Database        string      `json:"database"` // passwords redacted
	Scale           float64     `json:"scale"`
	DurationSeconds float64     `json:"duration_seconds"` // per scenario
	Connections     int         `json:"connections"`
	Data            *Data       `json:"data,omitempty"`
	Server          *ServerInfo `json:"server,omitempty"`
	Results         []Result    `json:"results"`
}

// Data is the generated data set the server ran on.
type Data struct {
	Organisation  string  `json:"organisation"`
	OCPCustomers  int     `json:"ocp_customers"`
	Subscriptions int     `json:"subscriptions"`
	Charges       int     `json:"charges"`
	Devices       int     `json:"devices"`
	LoadSeconds   float64 `json:"load_seconds"`
}

// ServerInfo is the server under test: a child process, so that its RSS
// and its start-up are its own.
type ServerInfo struct {
	Command   string `json:"command"`
	PID       int    `json:"pid"`
	RSSSource string `json:"rss_source"` // where RSS was read; "" when it cannot be

	// startup: from exec to the first 200 of /readyz, on a database
	// holding ChargesAtStart charges.
	StartToReadyMs float64 `json:"start_to_ready_ms,omitempty"`
	ListeningMs    float64 `json:"listening_ms,omitempty"` // exec to the "listening" line
	ChargesAtStart int     `json:"charges_at_start,omitempty"`

	// memory: VmRSS once started and idle, and VmHWM (the peak) at the
	// end of the run.
	IdleRSSBytes int64 `json:"idle_rss_bytes,omitempty"`
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
}

// Result is one scenario's row.
type Result struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Connections int    `json:"connections"`
	// Pipeline is how many requests each connection keeps in flight
	// (0 or 1: one at a time).
	Pipeline int `json:"pipeline,omitempty"`
	// Unit is what one op is: "request", "commit", "list+ack".
	Unit         string   `json:"unit"`
	Ops          int64    `json:"ops"`
	Seconds      float64  `json:"seconds"`
	OpsPerSec    float64  `json:"ops_per_sec"`
	ItemUnit     string   `json:"item_unit,omitempty"` // what an op carries: charges, ESNs
	Items        int64    `json:"items,omitempty"`
	ItemsPerSec  float64  `json:"items_per_sec,omitempty"`
	P50Ms        float64  `json:"p50_ms"`
	P99Ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	Errors       int64    `json:"errors"`
	ErrorSamples []string `json:"error_samples,omitempty"`
	// PeakRSSBytes is the server's largest VmRSS sampled during the
	// scenario (0 for the baselines, which do not involve it).
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// CPUMicrosPerOp is the CPU time (user and system) the serving process
	// (the server, or the bare handler's) spent per op: steadier than
	// op/s on a shared machine. 0: not measured.
	CPUMicrosPerOp float64 `json:"cpu_us_per_op,omitempty"`
	// VsHTTP and VsCommit are OpsPerSec over the baselines' (0: that
	// baseline was not run).
	VsHTTP   float64 `json:"vs_http,omitempty"`
	VsCommit float64 `json:"vs_commit,omitempty"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Errors is the number of failed operations over every scenario.
func (r *Report) Errors() int64 {
	var n int64
	for _, res := range r.Results {
		n += res.Errors
	}
	return n
}

// WriteTable writes the report as a table with its header and notes.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "carebridge bench — %s, %s, %d CPUs, %s\n",
		r.Started.UTC().Format(time.RFC3339), r.Platform, r.CPUs, r.GoVersion)
	fmt.Fprintf(&b, "database: %s\n", r.Database)
	if d := r.Data; d != nil {
		fmt.Fprintf(&b, "data (scale %g, organisation %s): %d OCP customers, %d subscriptions, %d charges, %d devices; loaded in %.1fs\n",
			r.Scale, d.Organisation, d.OCPCustomers, d.Subscriptions, d.Charges, d.Devices, d.LoadSeconds)
	}
	if s := r.Server; s != nil {
		rss := "RSS not available on this system"
		if s.RSSSource != "" {
			rss = "RSS is the server's alone, read from " + s.RSSSource
		}
		fmt.Fprintf(&b, "server: child process `%s` (pid %d) on 127.0.0.1; %s.\n", s.Command, s.PID, rss)
		fmt.Fprintf(&b, "The load driver runs in the bench process on the same CPUs.\n")
	}
	fmt.Fprintf(&b, "each scenario ran %s; up to %d connections\n\n", fmtSeconds(r.DurationSeconds), r.Connections)

	rows := [][]string{{"scenario", "conns", "ops", "op/s", "items/s", "p50", "p99", "max", "errors", "cpu/op", "peak RSS", "×http", "×commit"}}
	for _, res := range r.Results {
		conns := strconv.Itoa(res.Connections)
		if res.Pipeline > 1 {
			conns += "×" + strconv.Itoa(res.Pipeline)
		}
		items := "-"
		if res.ItemUnit != "" {
			items = fmtRate(res.ItemsPerSec) + " " + res.ItemUnit
		}
		rows = append(rows, []string{
			res.Name, conns, strconv.FormatInt(res.Ops, 10), fmtRate(res.OpsPerSec), items,
			fmtMs(res.P50Ms), fmtMs(res.P99Ms), fmtMs(res.MaxMs), strconv.FormatInt(res.Errors, 10),
			fmtMs(res.CPUMicrosPerOp / 1000), fmtBytes(res.PeakRSSBytes), fmtRatio(res.VsHTTP), fmtRatio(res.VsCommit),
		})
	}
	writeColumns(&b, rows)

	if s := r.Server; s != nil {
		if s.StartToReadyMs > 0 {
			fmt.Fprintf(&b, "\nstartup: ready %s after exec (listening after %s), on a database holding %d generated charges\n",
				fmtMs(s.StartToReadyMs), fmtMs(s.ListeningMs), s.ChargesAtStart)
		}
		if s.IdleRSSBytes > 0 || s.PeakRSSBytes > 0 {
			fmt.Fprintf(&b, "memory: RSS idle after start %s; peak RSS of the server over the run (VmHWM) %s\n",
				fmtBytes(s.IdleRSSBytes), fmtBytes(s.PeakRSSBytes))
		}
	}
	b.WriteString("\nop/s is operations per second: one op is one request (rpc_ws: one request on a\n" +
		"pipelined WebSocket), charges_drain's is one list plus one acknowledge of up to 50\n" +
		"charges, commit_baseline's one durable single-row commit. ×http and ×commit are op/s\n" +
		"divided by http_baseline's op/s and by commit_baseline's commits/s. The bare handler\n" +
		"runs in a child process like the server; commit_baseline runs in the bench process and\n" +
		"writes a SQLite file beside the database (in the temporary directory for PostgreSQL).\n" +
		"Latencies are exact percentiles of every op. cpu/op is the serving process's CPU time\n" +
		"(user and system) per op. peak RSS is the server's largest VmRSS sampled every 100ms\n" +
		"during the scenario.\n")
	for _, res := range r.Results {
		if len(res.ErrorSamples) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %d errors, for example:\n", res.Name, res.Errors)
		for _, s := range res.ErrorSamples {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeColumns aligns rows: the first column left, the others right.
func writeColumns(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i == 0 {
				line.WriteString(cell + pad)
				continue
			}
			line.WriteString("  " + pad + cell)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

func fmtRate(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1:
		return strconv.FormatFloat(v*1000, 'f', 0, 64) + "µs"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
	case v < 10_000:
		return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(v/1000, 'f', 1, 64) + "s"
}

func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func fmtBytes(n int64) string {
	if n <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

func fmtRatio(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
