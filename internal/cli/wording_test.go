package cli

import (
	"strings"
	"testing"

	"carebridge/internal/ocp"
)

// "-" names standard input, after the flags or before them.
func TestOCPImportFromStandardInput(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := runCLI(t, nil, "id,nsid,name\n7001,1,Pipe Co\n", "ocp", "customer", "import", "-", "--db", path)
	if r.code != 0 || !strings.Contains(r.stdout, "1 imported, 0 rejected") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, `[{"id": 7002, "nsid": 2, "name": "Tube Ltd"}]`, "ocp", "customer", "import", "--db", path, "-")
	if r.code != 0 || !strings.Contains(r.stdout, "1 imported, 0 rejected") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 7002, NSID: 2, Name: "Tube Ltd"}, EnrollmentLevel: ocp.None, OCPServices: []string{}})
	// Messages name standard input, not the temporary copy.
	wantFail(t, runCLI(t, nil, "  \n", "ocp", "customer", "import", "-", "--db", path), 1, "standard input is empty")
}

// A positional argument that is missing is not called a flag.
func TestMissingArgumentIsNotAFlag(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "charges", "ingest", "--db", dbPath(t), "--org", "acme", "--operator", "tv")
	wantFail(t, r, 1, "FILE is required: give it as an argument")
	if strings.Contains(r.stderr, "--FILE") {
		t.Errorf("stderr %q calls FILE a flag", r.stderr)
	}
}

// help and serve -h name every flag of serve and say that --db takes a
// PostgreSQL URL.
func TestHelpNamesEveryServeFlag(t *testing.T) {
	t.Parallel()
	help := mustRun(t, "", "help").stdout
	for _, w := range []string{"--disable-factory-reset", "--debug-addr", "postgres://",
		"CAREBRIDGE_DISABLE_FACTORY_RESET", "CAREBRIDGE_DEBUG_ADDR"} {
		if !strings.Contains(help, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	r := runCLI(t, nil, "", "serve", "-h")
	if r.code != 0 {
		t.Fatalf("serve -h: exit %d", r.code)
	}
	db, _, _ := strings.Cut(r.stderr[strings.Index(r.stderr, "-db"):], "\n  -")
	if !strings.Contains(db, "postgres://") {
		t.Errorf("serve -h describes --db without postgres://:\n%s", db)
	}
}

// A charge report file that is not a JSON object is refused in the
// command line's words, not the HTTP face's ("The body must be…").
func TestChargesIngestNamesTheFile(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	for _, c := range []struct{ body, want string }{
		{"x", "is not valid JSON; a charge report is a JSON object"},
		{"[]", `is not a charge report: a charge report is a JSON object {"charges": [...]}`},
		{"", "is not valid JSON"},
	} {
		file := writeFile(t, "report.json", c.body)
		r := runCLI(t, nil, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "tv")
		wantFail(t, r, 1, file+" "+c.want)
		if strings.Contains(r.stderr, "body") {
			t.Errorf("stderr %q speaks of a body", r.stderr)
		}
	}
}
