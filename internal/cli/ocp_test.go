package cli

import (
	"flag"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/testserver"
)

// ocpStore opens the OCP store of a database the commands wrote.
func ocpStore(t *testing.T, path string) ocp.Store {
	t.Helper()
	return testserver.OpenStores(t, path).OCP
}

// profileOf returns a stored profile; ok is false when there is none.
func profileOf(t *testing.T, path string, id int64) (ocp.Profile, bool) {
	t.Helper()
	p, err := ocpStore(t, path).Profile(t.Context(), id)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return p, false
	}
	if err != nil {
		t.Fatalf("profile %d: %v", id, err)
	}
	return p, true
}

func permitted(t *testing.T, path string, appID int64) []int64 {
	t.Helper()
	ids, err := ocpStore(t, path).PermittedCustomers(t.Context(), appID)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// wantNoDatabase checks that a refused command did not create the database.
func wantNoDatabase(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused command created the database %s", path)
	}
}

func TestHelpListsOCPCommands(t *testing.T) {
	t.Parallel()
	r := mustRun(t, "", "help")
	for _, w := range []string{"carebridge ocp customer create", "carebridge ocp customer update", "carebridge ocp customer import FILE",
		"carebridge ocp app create", "carebridge ocp app grant", "carebridge ocp app revoke"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("usage lacks %q", w)
		}
	}
	for _, args := range [][]string{
		{"ocp", "customer", "create", "-h"}, {"ocp", "customer", "update", "-h"}, {"ocp", "customer", "import", "--help"},
		{"ocp", "app", "create", "-h"}, {"ocp", "app", "grant", "-h"}, {"ocp", "app", "revoke", "-h"},
	} {
		path := dbPath(t)
		r := runCLI(t, nil, "", append(args, "--db", path)...)
		if r.code != 0 || !strings.Contains(r.stderr, "Flags:") || !strings.Contains(r.stderr, "-db") {
			t.Errorf("%q: exit %d, stderr %q; want 0 and the flags", args, r.code, r.stderr)
		}
		wantNoDatabase(t, path)
	}
	r = runCLI(t, nil, "", "ocp", "customer", "import", "-h")
	for _, w := range []string{"first character that is not blank", "'['", "*.json", "deviceSubsetStartTime", "500 per transaction"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("import help lacks %q:\n%s", w, r.stderr)
		}
	}
	if !strings.HasPrefix(r.stderr, "Usage: carebridge ocp customer import FILE") {
		t.Errorf("import help does not start with its synopsis:\n%s", r.stderr)
	}
	// A flag error prints the error and a one-line hint, not the help.
	r = runCLI(t, nil, "", "ocp", "app", "grant", "--colour", "red")
	if r.code != 2 || strings.Contains(r.stderr, "Flags:") || !strings.HasSuffix(r.stderr, "run 'carebridge ocp app grant -h' for its flags\n") {
		t.Errorf("bad flag: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestOCPCustomerCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := mustRun(t, "", "ocp", "customer", "create", "--db", path, "--id", "1649", "--nsid", "33333333", "--name", "Acme ATM",
		"--email", "doug.do@acmeatm.zzz", "--enrollment-level", "Premium", "--canviewip", "--isrms",
		"--ocpservices", "wireless; reset ;", "--device-subset-start-time", "1500000000")
	if r.stdout != "customer 1649 \"Acme ATM\" created (nsid 33333333, enrollment level Premium)\n" || r.stderr != "" {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	want := ocp.Profile{
		Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, CanViewIP: true, IsRMS: true,
		Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium, OCPServices: []string{"wireless", "reset"},
		DeviceSubsetStartTime: 1500000000,
	}
	if p, ok := profileOf(t, path, 1649); !ok || !reflect.DeepEqual(p, want) {
		t.Errorf("stored %+v, want %+v", p, want)
	}

	// The same id again is refused, points at update, and changes nothing.
	r = runCLI(t, nil, "", "ocp", "customer", "create", "--db", path, "--id", "1649", "--nsid", "0", "--name", "Acme", "--canaccessip")
	wantFail(t, r, 1, "customer 1649 already exists; nothing was changed", "carebridge ocp customer update --id 1649")
	if p, _ := profileOf(t, path, 1649); !reflect.DeepEqual(p, want) {
		t.Errorf("a refused create left %+v, want %+v", p, want)
	}
	if _, ok := profileOf(t, path, 1650); ok {
		t.Errorf("customer 1650 exists")
	}
}

// ocp customer update changes the fields given and keeps the others; an
// unknown id is refused and not created.
func TestOCPCustomerUpdate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "ocp", "customer", "create", "--db", path, "--id", "1649", "--nsid", "33333333", "--name", "Acme ATM",
		"--email", "doug.do@acmeatm.zzz", "--enrollment-level", "Premium", "--canviewip", "--ocpservices", "wireless")
	r := mustRun(t, "", "ocp", "customer", "update", "--db", path, "--id", "1649", "--name", "Acme ATM II",
		"--enrollment-level", "Base", "--canviewip=false", "--isrms", "--ocpservices", "")
	if r.stdout != "customer 1649 \"Acme ATM II\" updated (nsid 33333333, enrollment level Base)\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	want := ocp.Profile{
		Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM II"}, IsRMS: true,
		Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Base, OCPServices: []string{},
	}
	if p, _ := profileOf(t, path, 1649); !reflect.DeepEqual(p, want) {
		t.Errorf("updated to %+v, want %+v", p, want)
	}

	wantFail(t, runCLI(t, nil, "", "ocp", "customer", "update", "--db", path, "--id", "1651", "--name", "Typo"), 1,
		"customer 1651 does not exist; nothing was changed", "carebridge ocp customer create --id 1651")
	if _, ok := profileOf(t, path, 1651); ok {
		t.Error("a refused update created customer 1651")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "X"}, "--id is required"},
		{[]string{"--id", "1649"}, "give at least one field to change"},
		{[]string{"--id", "0", "--name", "X"}, "--id must be a positive integer"},
		{[]string{"--id", "1649", "--email", "doug@"}, `email "doug@" is not a valid email address.`},
		{[]string{"--id", "1649", "--enrollment-level", "Gold"}, "None, Base or Premium"},
		{[]string{"--id", "1649", "--nsid", "-1"}, "nsid must not be negative."},
	} {
		wantFail(t, runCLI(t, nil, "", append([]string{"ocp", "customer", "update", "--db", path}, c.args...)...), 1, c.want)
	}
	if p, _ := profileOf(t, path, 1649); !reflect.DeepEqual(p, want) {
		t.Errorf("refused updates changed the profile to %+v", p)
	}
}

// An update is refused unless a field flag is given, however many other
// flags the command has; every customer flag but --id counts as a field.
func TestCustomerFieldFlags(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	fs.String("db", "", "")
	fs.Bool("verbose", false, "") // a flag that is not a field
	c := newCustomerFlags(fs)
	if err := fs.Parse([]string{"--id", "1649", "--db", "x.db", "--verbose"}); err != nil {
		t.Fatal(err)
	}
	if c.anyField() {
		t.Error("--id, --db and --verbose count as a field to change")
	}
	fields := map[string]bool{}
	for _, name := range customerFields {
		fields[name] = true
	}
	newCustomerFlags(flag.NewFlagSet("fields", flag.ContinueOnError)).fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "id" && !fields[f.Name] {
			t.Errorf("--%s is missing from customerFields", f.Name)
		}
	})
	for name := range fields {
		fs := flag.NewFlagSet("update", flag.ContinueOnError)
		c := newCustomerFlags(fs)
		if err := fs.Set(name, "1"); err != nil {
			t.Fatal(err)
		}
		if !c.anyField() {
			t.Errorf("--%s does not count as a field", name)
		}
	}
}

func TestOCPCustomerCreateRefusals(t *testing.T) {
	t.Parallel()
	base := map[string]string{"--id": "1649", "--nsid": "1", "--name": "Acme"}
	cases := []struct {
		name  string
		set   map[string]string // flag → value; "" value with "-" key prefix removes it
		code  int
		wants []string
	}{
		{"no id", map[string]string{"--id": ""}, 1, []string{"--id is required"}},
		{"no nsid", map[string]string{"--nsid": ""}, 1, []string{"--nsid is required"}},
		{"no name", map[string]string{"--name": ""}, 1, []string{"--name is required"}},
		{"id not a number", map[string]string{"--id": "12a"}, 1, []string{`--id must be an integer; got "12a"`}},
		{"id fraction", map[string]string{"--id": "1.5"}, 1, []string{"--id must be an integer"}},
		{"id zero", map[string]string{"--id": "0"}, 1, []string{"--id must be a positive integer; got 0."}},
		{"id negative", map[string]string{"--id": "-4"}, 1, []string{"--id must be a positive integer; got -4."}},
		{"nsid negative", map[string]string{"--nsid": "-1"}, 1, []string{"nsid must not be negative."}},
		{"bad email", map[string]string{"--email": "doug@"}, 1, []string{`email "doug@" is not a valid email address.`}},
		{"bad level", map[string]string{"--enrollment-level": "Gold"}, 1, []string{"None, Base or Premium", `"Gold"`}},
		{"level in other case", map[string]string{"--enrollment-level": "premium"}, 1, []string{"None, Base or Premium"}},
		{"name with space", map[string]string{"--name": " Acme"}, 1, []string{"name must not begin or end with a space."}},
		{"long service", map[string]string{"--ocpservices": strings.Repeat("s", 65)}, 1, []string{"at most 64 bytes"}},
		{"negative subset time", map[string]string{"--device-subset-start-time": "-1"}, 1, []string{"deviceSubsetStartTime must not be negative."}},
		{"subset time not a number", map[string]string{"--device-subset-start-time": "soon"}, 1, []string{"--device-subset-start-time must be an integer"}},
		{"bad boolean", map[string]string{"--canviewip=maybe": ""}, 2, []string{"canviewip"}},
		{"unknown flag", map[string]string{"--colour": "red"}, 2, []string{"colour"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			args := []string{"ocp", "customer", "create", "--db", path}
			for k, v := range base {
				if nv, ok := c.set[k]; ok {
					v = nv
				}
				if v != "" {
					args = append(args, k, v)
				}
			}
			for k, v := range c.set {
				if _, ok := base[k]; !ok {
					args = append(args, k)
					if v != "" {
						args = append(args, v)
					}
				}
			}
			wantFail(t, runCLI(t, nil, "", args...), c.code, c.wants...)
			wantNoDatabase(t, path)
		})
	}
	t.Run("stray argument", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		wantFail(t, runCLI(t, nil, "", "ocp", "customer", "create", "--db", path, "--id", "1", "--nsid", "1", "--name", "A", "extra"), 2, `unexpected argument "extra"`)
		wantNoDatabase(t, path)
	})
}

var (
	secretPrinted   = regexp.MustCompile(`(?m)^client secret: (\S+)$`)
	clientIDPrinted = regexp.MustCompile(`(?m)^client id: +(\S+)$`)
)

// createApp runs ocp app create and returns the secret it printed.
func createApp(t *testing.T, path string, args ...string) string {
	t.Helper()
	r := mustRun(t, "", append([]string{"ocp", "app", "create", "--db", path}, args...)...)
	m := secretPrinted.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q does not print the client secret", r.stdout)
	}
	if !strings.Contains(r.stdout, "not shown again") {
		t.Errorf("stdout %q does not warn that the secret is not shown again", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	return m[1]
}

func ocpTestService(t *testing.T, path string) *ocp.Service {
	t.Helper()
	return &ocp.Service{Store: ocpStore(t, path), Now: time.Now, TokenLifetime: time.Hour}
}

func TestOCPAppCreate(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := mustRun(t, "", "ocp", "app", "create", "--db", path, "--id", "88", "--name", "Partner app", "--customers", "1650 , 1649,1650")
	m := secretPrinted.FindStringSubmatch(r.stdout)
	if m == nil || len(m[1]) < 32 {
		t.Fatalf("stdout %q does not print a client secret", r.stdout)
	}
	secret := m[1]
	if c := clientIDPrinted.FindStringSubmatch(r.stdout); c == nil || c[1] != "app-88" {
		t.Errorf("stdout %q does not print client id app-88", r.stdout)
	}
	if !strings.Contains(r.stdout, "not shown again") {
		t.Errorf("stdout %q does not say the secret is not shown again", r.stdout)
	}
	if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1649, 1650}) {
		t.Errorf("permitted %v, want [1649 1650]", got)
	}
	svc := ocpTestService(t, path)
	tok, err := svc.IssueToken(t.Context(), "app-88", secret)
	if err != nil {
		t.Fatalf("the printed secret does not work: %v", err)
	}
	if appID, err := svc.Authenticate(t.Context(), tok.Value); err != nil || appID != 88 {
		t.Errorf("token of app %d, %v; want 88", appID, err)
	}
	if _, err := svc.IssueToken(t.Context(), "app-88", secret+"x"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Errorf("a wrong secret: %v, want bad credentials", err)
	}

	// A second application without customers gets its own secret.
	other := createApp(t, path, "--id", "89", "--name", "Other")
	if other == secret {
		t.Errorf("two applications got the same secret")
	}
	if got := permitted(t, path, 89); len(got) != 0 {
		t.Errorf("app 89 permitted %v, want none", got)
	}
	if _, err := svc.IssueToken(t.Context(), "app-89", other); err != nil {
		t.Errorf("app 89's secret: %v", err)
	}
	if _, err := svc.IssueToken(t.Context(), "app-89", secret); err == nil {
		t.Errorf("app 88's secret works for app 89")
	}

	// A duplicate id is refused and changes nothing.
	wantFail(t, runCLI(t, nil, "", "ocp", "app", "create", "--db", path, "--id", "88", "--name", "Again", "--customers", "7"), 1, "already exists")
	if _, err := svc.IssueToken(t.Context(), "app-88", secret); err != nil {
		t.Errorf("after the refused duplicate, the first secret fails: %v", err)
	}
	if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1649, 1650}) {
		t.Errorf("after the refused duplicate, permitted %v", got)
	}
}

func TestOCPAppCreateRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"--name", "A"}, "--id is required"},
		{"no name", []string{"--id", "5"}, "--name is required"},
		{"id zero", []string{"--id", "0", "--name", "A"}, "--id must be a positive integer"},
		{"id not a number", []string{"--id", "x5", "--name", "A"}, "--id must be an integer"},
		{"bad name", []string{"--id", "5", "--name", "A "}, "space"},
		{"empty customers", []string{"--id", "5", "--name", "A", "--customers", ""}, "--customers is required"},
		{"bad customer", []string{"--id", "5", "--name", "A", "--customers", "1,x"}, `"x" is not a positive integer`},
		{"zero customer", []string{"--id", "5", "--name", "A", "--customers", "0"}, `"0" is not a positive integer`},
		{"empty element", []string{"--id", "5", "--name", "A", "--customers", "1, ,2"}, "element 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			wantFail(t, runCLI(t, nil, "", append([]string{"ocp", "app", "create", "--db", path}, c.args...)...), 1, c.want)
			wantNoDatabase(t, path)
		})
	}
}

func TestOCPAppGrantRevoke(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	createApp(t, path, "--id", "88", "--name", "Partner", "--customers", "1649")

	r := mustRun(t, "", "ocp", "app", "grant", "--db", path, "--id", "88", "--customers", "1651 , 1650,1649")
	if r.stdout != "application 88: granted customers 1651, 1650, 1649; it may read 3 customers\n" {
		t.Errorf("grant stdout %q", r.stdout)
	}
	if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1649, 1650, 1651}) {
		t.Errorf("after grant: %v", got)
	}
	// An id never granted refuses the revoke: nothing is revoked.
	wantFail(t, runCLI(t, nil, "", "ocp", "app", "revoke", "--db", path, "--id", "88", "--customers", "1649,9999"), 1,
		"Application 88 was never granted customer 9999; nothing was revoked.")
	if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1649, 1650, 1651}) {
		t.Errorf("after a refused revoke: %v", got)
	}
	r = mustRun(t, "", "ocp", "app", "revoke", "--db", path, "--id", "88", "--customers", "1649")
	if r.stdout != "application 88: revoked customers 1649; it may read 2 customers\n" {
		t.Errorf("revoke stdout %q", r.stdout)
	}
	if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1650, 1651}) {
		t.Errorf("after revoke: %v", got)
	}

	for _, verb := range []string{"grant", "revoke"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			cmd := []string{"ocp", "app", verb, "--db", path}
			cases := []struct {
				args []string
				want string
			}{
				{[]string{"--id", "77", "--customers", "1650"}, "Application 77 does not exist."},
				{[]string{"--customers", "1650"}, "--id is required"},
				{[]string{"--id", "0", "--customers", "1650"}, "--id must be a positive integer"},
				{[]string{"--id", "88"}, "--customers is required"},
				{[]string{"--id", "88", "--customers", ""}, "--customers is required"},
				{[]string{"--id", "88", "--customers", " , "}, "element 1"},
				{[]string{"--id", "88", "--customers", "1650,"}, "element 2"},
				{[]string{"--id", "88", "--customers", "1650,,1651"}, "element 2"},
				{[]string{"--id", "88", "--customers", "1650;1651"}, `"1650;1651" is not a positive integer`},
				{[]string{"--id", "88", "--customers", "-3"}, `"-3" is not a positive integer`},
				{[]string{"--id", "88", "--customers", "1.5"}, `"1.5" is not a positive integer`},
			}
			for _, c := range cases {
				wantFail(t, runCLI(t, nil, "", append(cmd, c.args...)...), 1, c.want)
			}
			if got := permitted(t, path, 88); !reflect.DeepEqual(got, []int64{1650, 1651}) {
				t.Errorf("refused %s commands changed the list: %v", verb, got)
			}
		})
	}
	t.Run("no database yet", func(t *testing.T) {
		t.Parallel()
		fresh := dbPath(t)
		wantFail(t, runCLI(t, nil, "", "ocp", "app", "grant", "--db", fresh, "--id", "88", "--customers", "x"), 1, "positive integer")
		wantNoDatabase(t, fresh)
	})
}

// TestOCPNewApplicationNilCustomers guards a store fault found while
// writing ocp app create (which passes an empty list, never nil): a nil list
// of customers reached the SQLite store as JSON null, which json_each read as
// one NULL customer id.
func TestOCPNewApplicationNilCustomers(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	_, _, err := ocpTestService(t, path).NewApplication(t.Context(), 90, "Nil", "", nil)
	if err != nil {
		t.Fatal("CreateApplication with nil customers: " + err.Error())
	}
	if got := permitted(t, path, 90); len(got) != 0 {
		t.Errorf("permitted %v, want none", got)
	}
}
