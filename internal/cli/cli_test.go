package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/sqlite"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with a fake environment. When environ does
// not name CAREBRIDGE_DB, it points to a file in a temporary directory that
// must never be created: a test that forgets --db fails instead of writing
// the default database in the source tree.
func runCLI(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runCLIContext(t, t.Context(), environ, stdin, args...)
}

// runCLIContext is runCLI with the command's context given.
func runCLIContext(t *testing.T, ctx context.Context, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	vars := map[string]string{}
	for k, v := range environ {
		vars[k] = v
	}
	if _, ok := vars["CAREBRIDGE_DB"]; !ok {
		fallback := filepath.Join(t.TempDir(), "fallback.db")
		vars["CAREBRIDGE_DB"] = fallback
		t.Cleanup(func() {
			if _, err := os.Stat(fallback); err == nil {
				t.Errorf("carebridge %s: wrote a database although the test gave no --db", strings.Join(args, " "))
			}
		})
	}
	var stdout, stderr bytes.Buffer
	code := run(args, env{
		ctx:    ctx,
		stdin:  strings.NewReader(stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// dbPath returns a fresh database path for one test.
func dbPath(t *testing.T) string {
	t.Helper()
	return testdb.SQLitePath(t)
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := runCLI(t, nil, stdin, args...)
	if r.code != 0 {
		t.Fatalf("carebridge %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// wantFail checks an exit code and that stderr is exactly one line holding
// every one of wants.
func wantFail(t *testing.T, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d (stdout %q, stderr %q)", r.code, code, r.stdout, r.stderr)
	}
	if code == 1 {
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
			t.Errorf("stderr is not one line: %q", r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "carebridge ") {
			t.Errorf("stderr %q does not name the program", r.stderr)
		}
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not contain %q", r.stderr, w)
		}
	}
}

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func operatorOf(t *testing.T, path, org, name string) carebridge.Operator {
	t.Helper()
	ts := sqlite.NewTenancyStore(openDB(t, path))
	o, err := ts.OrganisationByName(t.Context(), org)
	if err != nil {
		t.Fatalf("organisation %q: %v", org, err)
	}
	op, err := ts.OperatorByName(t.Context(), o.ID, name)
	if err != nil {
		t.Fatalf("operator %q of %q: %v", name, org, err)
	}
	return op
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		r := runCLI(t, nil, "", args...)
		if r.code != 0 {
			t.Errorf("%q: exit %d, want 0", args, r.code)
		}
		for _, w := range []string{"Usage:", "carebridge serve", "carebridge org create", "carebridge user create", "carebridge promotion create"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%q: usage lacks %q:\n%s", args, w, r.stdout)
			}
		}
		if r.stderr != "" {
			t.Errorf("%q: stderr %q, want nothing", args, r.stderr)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"frobnicate"}, {"org", "delete", "--name", "x"}, {"org"}} {
		r := runCLI(t, nil, "", args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2", args, r.code)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "unknown command") {
			t.Errorf("%q: stderr %q, want one line saying unknown command", args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q, want nothing", args, r.stdout)
		}
	}
}

func TestStrayArgument(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := runCLI(t, nil, "", "org", "create", "--db", path, "--name", "acme", "extra")
	wantFail(t, r, 2, `unexpected argument "extra"`)
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused command created the database %s", path)
	}
}

func TestUnknownFlag(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := runCLI(t, nil, "", "org", "create", "--db", path, "--colour", "red")
	wantFail(t, r, 2, "colour")
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused command created the database %s", path)
	}
}

func TestOrgCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	m := regexp.MustCompile(`\(id (\d+)\)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q does not print the id", r.stdout)
	}
	o, err := sqlite.NewTenancyStore(openDB(t, path)).OrganisationByName(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if strconv.FormatInt(o.ID, 10) != m[1] {
		t.Errorf("printed id %s, stored id %d", m[1], o.ID)
	}

	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path, "--name", "acme"), 1, `"acme" already exists`)
}

func TestOrgCreateBadName(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path), 1, "--name")
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path, "--name", " acme"), 1, "space")
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path, "--name", "acme "), 1, "space")
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path, "--name", "ac\nme"), 1, "control")
	wantFail(t, runCLI(t, nil, "", "org", "create", "--db", path, "--name", strings.Repeat("é", 101)), 1, "100")
	if _, err := os.Stat(path); err == nil {
		t.Errorf("refused names created the database %s", path)
	}
}

func TestOperatorCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "org", "create", "--db", path, "--name", "beta")

	r := mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op1", "--alternative-code", "ALT")
	m := regexp.MustCompile(`group id (\d+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q does not print the group id", r.stdout)
	}
	op := operatorOf(t, path, "acme", "op1")
	if strconv.FormatInt(op.ID, 10) != m[1] {
		t.Errorf("printed group id %s, stored id %d", m[1], op.ID)
	}
	if op.AlternativeCode != "ALT" {
		t.Errorf("alternative code %q, want ALT", op.AlternativeCode)
	}

	t.Run("unknown org", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "operator", "create", "--db", path, "--org", "nope", "--name", "op9"), 1, "does not exist")
	})
	t.Run("missing org", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "operator", "create", "--db", path, "--name", "op9"), 1, "--org")
	})
	t.Run("duplicate name", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op1"), 1, `organisation "acme" already has an operator named "op1"`+"\n")
	})
	t.Run("duplicate alternative code", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op2", "--alternative-code", "ALT"), 1, `organisation "acme" already has an operator with alternative code "ALT"`+"\n")
	})
	t.Run("bad alternative code", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op3", "--alternative-code", " X"), 1, "space")
	})
	t.Run("same name and code in another org", func(t *testing.T) {
		t.Parallel()
		mustRun(t, "", "operator", "create", "--db", path, "--org", "beta", "--name", "op1", "--alternative-code", "ALT")
	})
	t.Run("several without alternative code", func(t *testing.T) {
		t.Parallel()
		mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "plain1")
		mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "plain2")
		if op := operatorOf(t, path, "acme", "plain2"); op.AlternativeCode != "" {
			t.Errorf("alternative code %q, want none", op.AlternativeCode)
		}
	})
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op1")

	r := mustRun(t, "s3cret-pass\n", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "alice")
	if !strings.Contains(r.stdout, `"alice"`) {
		t.Errorf("stdout %q does not name the user", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret-pass") {
		t.Errorf("the password was printed: stdout %q, stderr %q", r.stdout, r.stderr)
	}

	t.Run("login", func(t *testing.T) {
		t.Parallel()
		stores := testserver.OpenStores(t, path)
		svc := auth.NewService(stores.Tenancy, time.Now, time.Hour)
		tok, err := svc.Login(t.Context(), "acme", "alice", "s3cret-pass", "192.0.2.1")
		if err != nil {
			t.Fatalf("login with the password given on stdin: %v", err)
		}
		if !auth.LooksLikeToken(tok.Value) {
			t.Errorf("token %q", tok.Value)
		}
		caller, err := svc.Authenticate(t.Context(), tok.Value)
		if err != nil {
			t.Fatal(err)
		}
		op := operatorOf(t, path, "acme", "op1")
		if caller.Username != "alice" || caller.OperatorID != op.ID || caller.OrganisationID != op.OrganisationID {
			t.Errorf("caller %+v, want alice of operator %+v", caller, op)
		}
		for _, pw := range []string{"s3cret-pass\n", "S3cret-pass", "wrong-password"} {
			if _, err := svc.Login(t.Context(), "acme", "alice", pw, "192.0.2.1"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
				t.Errorf("login with %q: %v, want bad credentials", pw, err)
			}
		}
	})
	t.Run("password without newline and with CRLF", func(t *testing.T) {
		t.Parallel()
		mustRun(t, "another-pass", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "bob")
		mustRun(t, "third-pass!\r\nignored\n", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "carol")
		stores := testserver.OpenStores(t, path)
		svc := auth.NewService(stores.Tenancy, time.Now, time.Hour)
		if _, err := svc.Login(t.Context(), "acme", "bob", "another-pass", "192.0.2.2"); err != nil {
			t.Errorf("bob: %v", err)
		}
		if _, err := svc.Login(t.Context(), "acme", "carol", "third-pass!", "192.0.2.2"); err != nil {
			t.Errorf("carol: %v", err)
		}
	})
	t.Run("short password", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "short\n", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "dave"), 1, "at least 8")
	})
	t.Run("empty stdin", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "erin"), 1, "standard input")
	})
	t.Run("unknown operator", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "s3cret-pass\n", "user", "create", "--db", path, "--org", "acme", "--operator", "nope", "--username", "frank"), 1, "does not exist")
	})
	t.Run("unknown org", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "s3cret-pass\n", "user", "create", "--db", path, "--org", "nope", "--operator", "op1", "--username", "frank"), 1, "does not exist")
	})
	t.Run("missing username", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "s3cret-pass\n", "user", "create", "--db", path, "--org", "acme", "--operator", "op1"), 1, "--username")
	})
	t.Run("duplicate username", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "other-pass-1\n", "user", "create", "--db", path, "--org", "acme", "--operator", "op1", "--username", "alice"), 1, "already exists")
	})
}

func TestPromotionCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op1")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op2")

	promo := func(extra ...string) []string {
		return append([]string{"promotion", "create", "--db", path, "--org", "acme", "--operator", "op1"}, extra...)
	}
	r := mustRun(t, "", promo("--code", "P1", "--name", "Promo one", "--effective-from", "2017-01-01", "--expires-on", "2018-01-01")...)
	if !strings.Contains(r.stdout, `"P1"`) {
		t.Errorf("stdout %q does not name the promotion", r.stdout)
	}
	mustRun(t, "", promo("--code", "P2", "--name", "Promo two", "--description", "Two months", "--effective-from", "2017-03-01T02:00:00+02:00")...)

	t.Run("stored", func(t *testing.T) {
		t.Parallel()
		op := operatorOf(t, path, "acme", "op1")
		ps, err := sqlite.NewNetflixStore(openDB(t, path)).Promotions(t.Context(), op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 {
			t.Fatalf("%d promotions, want 2: %+v", len(ps), ps)
		}
		p := ps[0]
		if p.Code != "P1" || p.Name != "Promo one" || p.Description != "" || p.OperatorID != op.ID {
			t.Errorf("promotion %+v", p)
		}
		if want := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC); !p.EffectiveFrom.Equal(want) || p.EffectiveFrom.Location() != time.UTC {
			t.Errorf("effective from %v, want %v", p.EffectiveFrom, want)
		}
		if want := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC); !p.ExpiresOn.Equal(want) || p.ExpiresOn.Location() != time.UTC {
			t.Errorf("expires on %v, want %v", p.ExpiresOn, want)
		}
		p = ps[1]
		if p.Code != "P2" || p.Description != "Two months" || !p.ExpiresOn.IsZero() {
			t.Errorf("promotion %+v", p)
		}
		if want := time.Date(2017, 3, 1, 0, 0, 0, 0, time.UTC); !p.EffectiveFrom.Equal(want) {
			t.Errorf("effective from %v, want %v", p.EffectiveFrom, want)
		}
	})
	t.Run("bad date", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", promo("--code", "B1", "--name", "Bad", "--effective-from", "2017-13-01")...), 1, "--effective-from")
		wantFail(t, runCLI(t, nil, "", promo("--code", "B2", "--name", "Bad", "--expires-on", "tomorrow")...), 1, "--expires-on")
	})
	t.Run("expires before effective", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", promo("--code", "B3", "--name", "Bad", "--effective-from", "2018-01-01", "--expires-on", "2017-01-01")...), 1, "expires_on")
		wantFail(t, runCLI(t, nil, "", promo("--code", "B4", "--name", "Bad", "--effective-from", "2018-01-01", "--expires-on", "2018-01-01")...), 1, "expires_on")
	})
	t.Run("duplicate code", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", promo("--code", "P1", "--name", "Again", "--effective-from", "2019-01-01")...), 1, "already exists")
	})
	t.Run("same code for another operator", func(t *testing.T) {
		t.Parallel()
		mustRun(t, "", "promotion", "create", "--db", path, "--org", "acme", "--operator", "op2", "--code", "P1", "--name", "Other")
	})
	t.Run("missing code", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", promo("--name", "No code")...), 1, "--code")
	})
	t.Run("missing name", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", promo("--code", "B5")...), 1, "--name")
	})
	t.Run("unknown operator", func(t *testing.T) {
		t.Parallel()
		wantFail(t, runCLI(t, nil, "", "promotion", "create", "--db", path, "--org", "acme", "--operator", "nope", "--code", "B6", "--name", "X"), 1, "does not exist")
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nested", "dir", "cb.db")
	r := mustRun(t, "", "migrate", "--db", path)
	if !strings.Contains(r.stdout, "up to date") {
		t.Errorf("stdout %q", r.stdout)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("migrate did not create the database: %v", err)
	}
	version := func() int {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		v, err := db.SchemaVersion(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1 := version()
	if v1 < 1 {
		t.Fatalf("schema version %d after migrate", v1)
	}
	mustRun(t, "", "migrate", "--db", path)
	if v2 := version(); v2 != v1 {
		t.Errorf("schema version %d after a second migrate, was %d", v2, v1)
	}
	// The schema is usable after the second run.
	mustRun(t, "", "org", "create", "--db", "sqlite:"+path, "--name", "acme")
	wantFail(t, runCLI(t, nil, "", "migrate", "--db", path, "now"), 2, "unexpected argument")
}

// fileState describes a file so that a test can tell it was not written.
func fileState(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "absent"
	}
	return fi.ModTime().String() + " " + strconv.FormatInt(fi.Size(), 10)
}

func TestDatabaseFromEnvironment(t *testing.T) {
	t.Parallel()
	defaultPath := server.DefaultDatabase // relative: inside this package's directory
	before := fileState(defaultPath)

	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	envA := map[string]string{"CAREBRIDGE_DB": a}
	if r := runCLI(t, envA, "", "org", "create", "--name", "acme"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// The flag wins over the environment.
	if r := runCLI(t, envA, "", "org", "create", "--db", b, "--name", "beta"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}

	has := func(path, org string) bool {
		_, err := sqlite.NewTenancyStore(openDB(t, path)).OrganisationByName(t.Context(), org)
		if err != nil && carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
			t.Fatal(err)
		}
		return err == nil
	}
	if !has(a, "acme") || has(a, "beta") {
		t.Errorf("file A (CAREBRIDGE_DB): acme %v, beta %v; want only acme", has(a, "acme"), has(a, "beta"))
	}
	if !has(b, "beta") || has(b, "acme") {
		t.Errorf("file B (--db): beta %v, acme %v; want only beta", has(b, "beta"), has(b, "acme"))
	}
	if after := fileState(defaultPath); after != before {
		t.Errorf("the default database %s was written (%s, was %s)", defaultPath, after, before)
	}
}

// A PostgreSQL URL that cannot be used (no such role here) fails with a
// one-line reason that names PostgreSQL and never prints the password.
func TestPostgresURLUnreachable(t *testing.T) {
	t.Parallel()
	const url = "postgres://u:hunter2@localhost/db"
	for _, r := range []result{
		runCLI(t, nil, "", "migrate", "--db", url),
		runCLI(t, nil, "", "org", "create", "--db", url, "--name", "acme"),
		runCLI(t, map[string]string{"CAREBRIDGE_DB": url}, "", "migrate"),
		runCLI(t, nil, "", "migrate", "--db", "postgresql://u:hunter2@localhost/db"),
	} {
		wantFail(t, r, 1, "PostgreSQL", "REDACTED")
		if strings.Contains(r.stdout+r.stderr, "hunter2") {
			t.Errorf("the password is printed: %q", r.stderr)
		}
	}
	// Nothing was created under a path derived from the URL.
	if _, err := os.Stat("postgres:"); err == nil {
		t.Error(`a file "postgres:" was created`)
	}
}

func TestOperatorUpdate(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	decision := func(name string) (netflix.ChargeDecision, time.Duration) {
		t.Helper()
		d, deadline, err := sqlite.NewTenancyStore(openDB(t, path)).ChargeDecision(t.Context(), operatorOf(t, path, "acme", name).ID)
		if err != nil {
			t.Fatal(err)
		}
		return d, deadline
	}
	r := mustRun(t, "", "operator", "update", "--db", path, "--org", "acme", "--name", "op1", "--charge-decision", "operator", "--decision-deadline", "48h")
	if want := `operator "op1" of "acme": PENDING charges decided by the operator, settled by the processor after 48h; decision deadline 48h` + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if d, deadline := decision("op1"); d != netflix.DecisionOperator || deadline != 48*time.Hour {
		t.Errorf("stored %s %s", d, deadline)
	}
	if d, deadline := decision("op2"); d != netflix.DecisionAuto || deadline != netflix.DefaultDecisionDeadline {
		t.Errorf("op2 changed: %s %s", d, deadline)
	}
	// Without --decision-deadline the deadline stays.
	r = mustRun(t, "", "operator", "update", "--db", path, "--org", "acme", "--name", "op1", "--charge-decision", "auto")
	if want := `operator "op1" of "acme": PENDING charges decided by the charge processor (auto); decision deadline 48h` + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if d, deadline := decision("op1"); d != netflix.DecisionAuto || deadline != 48*time.Hour {
		t.Errorf("stored %s %s", d, deadline)
	}
	mustRun(t, "", "operator", "update", "--db", path, "--org", "acme", "--name", "op2", "--charge-decision", "operator", "--decision-deadline", "1m")
	if d, deadline := decision("op2"); d != netflix.DecisionOperator || deadline != time.Minute {
		t.Errorf("stored %s %s", d, deadline)
	}
	for _, c := range []struct {
		name  string
		args  []string
		code  int
		words string
	}{
		{"missing decision", []string{"--org", "acme", "--name", "op1"}, 1, "--charge-decision"},
		{"missing name", []string{"--org", "acme", "--charge-decision", "auto"}, 1, "--name"},
		{"unknown decision", []string{"--org", "acme", "--name", "op1", "--charge-decision", "manual"}, 1, "auto or operator"},
		{"deadline too short", []string{"--org", "acme", "--name", "op1", "--charge-decision", "operator", "--decision-deadline", "59s"}, 1, "1m to 720h"},
		{"deadline too long", []string{"--org", "acme", "--name", "op1", "--charge-decision", "operator", "--decision-deadline", "721h"}, 1, "1m to 720h"},
		{"deadline not a duration", []string{"--org", "acme", "--name", "op1", "--charge-decision", "operator", "--decision-deadline", "3d"}, 2, "decision-deadline"},
		{"unknown operator", []string{"--org", "acme", "--name", "op9", "--charge-decision", "auto"}, 1, "does not exist"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFail(t, runCLI(t, nil, "", append([]string{"operator", "update", "--db", path}, c.args...)...), c.code, c.words)
		})
	}
	if d, deadline := decision("op1"); d != netflix.DecisionAuto || deadline != 48*time.Hour {
		t.Errorf("a refused update changed op1: %s %s", d, deadline)
	}
}
