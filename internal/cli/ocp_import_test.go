package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"carebridge/internal/ocp"
)

// importFile runs ocp customer import on a new file holding content.
func importFile(t *testing.T, path, name, content string) result {
	t.Helper()
	return runCLI(t, nil, "", "ocp", "customer", "import", writeFile(t, name, content), "--db", path)
}

// wantSummary checks stdout: the summary line, then exactly the rejected
// rows given.
func wantSummary(t *testing.T, r result, summary string, rejected ...string) {
	t.Helper()
	want := summary + "\n"
	for _, l := range rejected {
		want += l + "\n"
	}
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// wantRejected checks the exit status and stderr of an import that stored
// the good rows and rejected some: the progress lines, then one line saying
// how many rows were rejected.
func wantRejected(t *testing.T, r result, progress string, rejected, read, stored int) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	want := progress + fmt.Sprintf("carebridge ocp customer import: %d of %d rows were rejected (listed on standard output); %d stored\n", rejected, read, stored)
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

func wantProfile(t *testing.T, path string, want ocp.Profile) {
	t.Helper()
	got, ok := profileOf(t, path, want.ID)
	if !ok {
		t.Errorf("customer %d was not stored", want.ID)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("customer %d stored as %+v, want %+v", want.ID, got, want)
	}
}

func wantNoProfile(t *testing.T, path string, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		if p, ok := profileOf(t, path, id); ok {
			t.Errorf("customer %d was stored: %+v", id, p)
		}
	}
}

// acme is the profile of the OCP document's example (002).
var acme = ocp.Profile{
	Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"},
	Email:    "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium, OCPServices: []string{""},
}

func TestOCPImportCSV(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	// A byte order mark, columns in another order and case, a quoted
	// field over two lines, and rows of every kind of fault.
	csv := "\ufeffName,ID,nsid,Email,enrollment_level,canviewip,CanAccessIP,isrms,ocpservices,deviceSubsetStartTime\n" +
		"Acme ATM,1649,33333333,doug.do@acmeatm.zzz,Premium,false,FALSE,0,,0\n" + // line 2
		"\"Two\nLines\",2000,1,,,,,,,\n" + // line 3: a control character in the name
		"Beta,2001,-5,,,,,,,\n" + // line 5
		"Gamma,2002,7,gamma@example,Base,,,,,\n" + // line 6: no dotted domain
		"Delta,2003,8,delta@example.com,Base,TRUE,1,True,wireless; reset,1500000000\n" + // line 7: good
		"Eps,2004,9,,Gold,,,,,\n" + // line 8
		"Zeta,x2005,9,,,,,,,\n" + // line 9
		"Eta,2006,1.5,,,,,,,\n" + // line 10
		"Theta,2007,1,,,yes,,,,\n" + // line 11
		"Iota,2008,1,,,,,,,soon\n" + // line 12
		"Kappa,2009,1\n" + // line 13: too few fields
		",2010,1,,,,,,,\n" + // line 14: no name
		"Acme again,1649,1,,,,,,,\n" + // line 15: id of line 2
		"\n" + // blank lines are skipped
		"Lambda,2011,,,,,,,,\n" + // line 17: no nsid
		" Mu ,2012,1,,,,,,,\n" + // line 18
		"Nu,  2013 ,0,  nu@example.com ,None,,,,,\n" // line 19: good, blanks around numbers and email
	r := importFile(t, path, "customers.csv", csv)
	wantSummary(t, r, "3 imported, 13 rejected; these rows were not stored:",
		"line 3: name contains a control or invisible character.",
		"line 5: nsid must not be negative.",
		`line 6: email "gamma@example" is not a valid email address.`,
		`line 8: enrollment level must be None, Base or Premium; got "Gold".`,
		`line 9: id must be an integer; got "x2005".`,
		`line 10: nsid must be an integer; got "1.5".`,
		`line 11: canviewip must be true, false, 1 or 0; got "yes".`,
		`line 12: deviceSubsetStartTime must be an integer; got "soon".`,
		"line 13: has 3 fields; the header has 10.",
		"line 14: name is mandatory.",
		"line 15: id 1649 already on line 2.",
		"line 17: nsid is mandatory.",
		"line 18: name must not begin or end with a space.",
	)
	wantRejected(t, r, "imported 3/16 rows\n", 13, 16, 3)

	want := acme
	want.OCPServices = []string{} // an empty CSV cell is no services
	wantProfile(t, path, want)
	wantProfile(t, path, ocp.Profile{
		Customer: ocp.Customer{ID: 2003, NSID: 8, Name: "Delta"}, CanViewIP: true, CanAccessIP: true, IsRMS: true,
		Email: "delta@example.com", EnrollmentLevel: ocp.Base, OCPServices: []string{"wireless", "reset"}, DeviceSubsetStartTime: 1500000000,
	})
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 2013, Name: "Nu"}, Email: "nu@example.com", EnrollmentLevel: ocp.None, OCPServices: []string{}})
	// No rejected row left anything behind, not even the valid part of it.
	wantNoProfile(t, path, 2000, 2001, 2002, 2004, 2005, 2006, 2007, 2008, 2009, 2010, 2011, 2012)
}

func TestOCPImportCSVMinimalColumns(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := importFile(t, path, "min.txt", "nsid,name,id\n5,Only,77\n")
	if r.code != 0 || r.stdout != "1 imported, 0 rejected\n" || r.stderr != "imported 1/1 rows\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 77, NSID: 5, Name: "Only"}, EnrollmentLevel: ocp.None, OCPServices: []string{}})

	// A header alone imports nothing, successfully.
	r = importFile(t, path, "empty.csv", "id,nsid,name\n")
	if r.code != 0 || r.stdout != "0 imported, 0 rejected\n" || r.stderr != "" {
		t.Errorf("header only: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestOCPImportJSON(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	json := `
	[
	 {"id": 1649, "nsid": 33333333, "name": "Acme ATM", "canviewip": false, "canaccessip": false, "isrms": false,
	  "email": "doug.do@acmeatm.zzz", "enrollment_level": "Premium", "ocpservices": [""], "deviceSubsetStartTime": 0},
	 {"id": 3000, "nsid": -1, "name": "Bad nsid"},
	 {"id": 3001, "nsid": 1, "name": "Bad email", "email": "x@y"},
	 {"ID": "3002", "NSID": 2, "Name": "Strings and case", "CanViewIP": "true", "isrms": 1, "canaccessip": "0",
	  "ocpservices": "a;b", "email": null, "enrollment_level": null, "devicesubsetstarttime": "12"},
	 7,
	 {"id": 3003, "nsid": 2.5, "name": "Fraction"},
	 {"id": 3004, "nsid": 1, "name": 42},
	 {"id": 3005, "nsid": 1, "name": "Twice", "nsid": 2},
	 {"id": 1649, "nsid": 1, "name": "Same id"},
	 {"id": 3006, "nsid": 1, "name": "Bad services", "ocpservices": [1, 2]},
	 {"id": 3007, "nsid": 1, "name": "Bad bool", "isrms": "sometimes"},
	 {"id": 3008, "nsid": 1, "name": "Level", "enrollment_level": "premium"},
	 {"nsid": 1, "name": "No id"},
	 {"id": 3009, "nsid": 1, "name": "Object", "canviewip": {}},
	 {"id": 3010, "nsid": 1e3, "name": "Exponent"},
	 {"id": 3012, "nsid": 1, "name": "\ud800"},
	 null,
	 {"id": 3011, "nsid": 0, "name": "Last good", "ocpservices": null}
	]
	`
	r := importFile(t, path, "customers.json", json)
	wantSummary(t, r, "3 imported, 15 rejected; these rows were not stored:",
		"item 2: nsid must not be negative.",
		`item 3: email "x@y" is not a valid email address.`,
		"item 5: is not a JSON object.",
		`item 6: nsid must be an integer; got "2.5".`,
		"item 7: name must be a string.",
		"item 8: key nsid appears twice.",
		"item 9: id 1649 already on item 1.",
		"item 10: ocpservices must be an array of strings or a ';'-separated string.",
		`item 11: isrms must be true, false, 1 or 0; got "sometimes".`,
		`item 12: enrollment level must be None, Base or Premium; got "premium".`,
		"item 13: id is mandatory.",
		"item 14: canviewip must be a single value, not an object.",
		`item 15: nsid must be an integer; got "1e3".`,
		`item 16: name holds a lone UTF-16 surrogate \ud800, which is not a character.`,
		"item 17: is not a JSON object.",
	)
	wantRejected(t, r, "imported 3/18 rows\n", 15, 18, 3)
	wantProfile(t, path, acme)
	wantProfile(t, path, ocp.Profile{
		Customer: ocp.Customer{ID: 3002, NSID: 2, Name: "Strings and case"}, CanViewIP: true, IsRMS: true,
		EnrollmentLevel: ocp.None, OCPServices: []string{"a", "b"}, DeviceSubsetStartTime: 12,
	})
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 3011, Name: "Last good"}, EnrollmentLevel: ocp.None, OCPServices: []string{}})
	wantNoProfile(t, path, 3000, 3001, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010, 3012)
}

func TestOCPImportAllRejected(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	r := importFile(t, path, "bad.csv", "id,nsid,name\n0,1,Zero\n5,1,\n")
	wantSummary(t, r, "0 imported, 2 rejected; these rows were not stored:",
		"line 2: id must be a positive integer.", "line 3: name is mandatory.")
	// Nothing was stored, so there is no progress line: stderr is the reason.
	wantFail(t, r, 1, "2 of 2 rows were rejected")
	wantNoProfile(t, path, 5)
}

func TestOCPImportRefusals(t *testing.T) {
	t.Parallel()
	good := "id,nsid,name\n1,1,One\n"
	goodJSON := `{"id": 1, "nsid": 1, "name": "One"}`
	cases := []struct {
		name, file, content string
		wants               []string
	}{
		{"unknown column", "c.csv", "id,nsid,name,emial\n1,1,One,a@b.com\n", []string{`line 1: unknown column "emial"`, "the columns are id, nsid, name, email", "nothing was imported"}},
		{"unknown column, no rows", "c.csv", "id,nsid,name,colour\n", []string{`unknown column "colour"`}},
		{"missing required column", "c.csv", "id,name,email\n1,One,\n", []string{"lacks the required column nsid"}},
		{"missing id column", "c.csv", "nsid,name\n1,One\n", []string{"lacks the required column id"}},
		{"repeated column", "c.csv", "id,nsid,name,ID\n1,1,One,2\n", []string{"column id appears twice"}},
		{"empty header cell", "c.csv", "id,nsid,name,\n1,1,One,\n", []string{`unknown column ""`}},
		{"CSV syntax error", "c.csv", good + "2,2,Tw\"o\n", []string{"CSV syntax error on line 3", "nothing was imported"}},
		{"CSV unterminated quote", "c.csv", good + "2,2,\"Two\n", []string{"CSV syntax error", "line 3"}},
		{"unknown key in the last item", "c.json", "[" + goodJSON + `, {"id": 2, "nsid": 1, "name": "Two", "enrollment": "Base"}]`, []string{`item 2: unknown key "enrollment"`, "the keys are id, nsid", "nothing was imported"}},
		{"unknown key beside a repeated one", "c.json", `[{"id": 2, "id": 3, "nsid": 1, "name": "Two", "x": 1}]`, []string{`unknown key "x"`}},
		{"truncated JSON", "c.json", "[" + goodJSON + `, {"id": 2, "nsid": 1,`, []string{"item 2", "nothing was imported"}},
		{"unclosed array", "c.json", "[" + goodJSON, []string{"ends early"}},
		{"JSON syntax error", "c.json", "[" + goodJSON + `, {"id": 2 "nsid": 1}]`, []string{"JSON syntax error in item 2"}},
		{"data after the array", "c.json", "[" + goodJSON + "] []", []string{"followed by more data"}},
		{"JSON object", "c.json", goodJSON, []string{"must hold an array of customer objects"}},
		{"JSON object, other name", "c.txt", "  \n" + goodJSON, []string{"must hold an array"}},
		{".json that is CSV", "c.json", good, []string{"named .json but does not start with '['"}},
		{"empty file", "c.csv", " \n\t", []string{"is empty"}},
		{"byte order mark only", "c.csv", "\ufeff", []string{"is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			r := importFile(t, path, c.file, c.content)
			wantFail(t, r, 1, c.wants...)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			// The file is refused before the database is even opened.
			wantNoDatabase(t, path)
		})
	}

	// Refused into an existing database: nothing is stored there either.
	t.Run("existing database", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		mustRun(t, "", "ocp", "customer", "create", "--db", path, "--id", "9", "--nsid", "9", "--name", "Nine")
		wantFail(t, importFile(t, path, "c.csv", "id,nsid,name,emial\n1,1,One,a@b.com\n9,1,Changed,\n"), 1, "unknown column")
		wantFail(t, importFile(t, path, "c.json", `[{"id": 1, "nsid": 1, "name": "One"}, {"id": 9, "nsid": 1, "name": "Changed", "nmae": 1}]`), 1, "unknown key")
		wantNoProfile(t, path, 1)
		wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 9, NSID: 9, Name: "Nine"}, EnrollmentLevel: ocp.None, OCPServices: []string{}})
	})

	t.Run("arguments", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		file := writeFile(t, "c.csv", good)
		wantFail(t, runCLI(t, nil, "", "ocp", "customer", "import", "--db", path), 1, "name the file to import", "- reads standard input")
		wantFail(t, runCLI(t, nil, "", "ocp", "customer", "import", filepath.Join(t.TempDir(), "missing.csv"), "--db", path), 1, "missing.csv")
		wantFail(t, runCLI(t, nil, "", "ocp", "customer", "import", file, "--db", path, "other.csv"), 2, `unexpected argument "other.csv"`)
		wantFail(t, runCLI(t, nil, "", "ocp", "customer", "import", "--db", path, "--batch", "5", file), 2, "batch")
		wantNoDatabase(t, path)
	})
}

func TestOCPImportFileAfterFlags(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	file := writeFile(t, "c.json", `[{"id": 5, "nsid": 6, "name": "Five"}]`)
	r := mustRun(t, "", "ocp", "customer", "import", "--db", path, file)
	wantSummary(t, r, "1 imported, 0 rejected")
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 5, NSID: 6, Name: "Five"}, EnrollmentLevel: ocp.None, OCPServices: []string{}})
}

// manyRows makes n customers 1..n as CSV and as JSON.
func manyRows(n int) (csvText, jsonText string) {
	var c, j strings.Builder
	c.WriteString("id,nsid,name,email,enrollment_level,isrms\n")
	j.WriteString("[\n")
	levels := []string{"None", "Base", "Premium"}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&c, "%d,%d,Customer %d,c%d@example.com,%s,%d\n", i, 1000+i, i, i, levels[i%3], i%2)
		if i > 1 {
			j.WriteString(",\n")
		}
		fmt.Fprintf(&j, `{"id": %d, "nsid": %d, "name": "Customer %d", "email": "c%d@example.com", "enrollment_level": %q, "isrms": %t}`,
			i, 1000+i, i, i, levels[i%3], i%2 == 1)
	}
	j.WriteString("\n]\n")
	return c.String(), j.String()
}

func TestOCPImportBatches(t *testing.T) {
	t.Parallel()
	csvText, jsonText := manyRows(1200)
	for _, c := range []struct{ name, file, content string }{{"CSV", "many.csv", csvText}, {"JSON", "many.json", jsonText}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := dbPath(t)
			r := importFile(t, path, c.file, c.content)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			wantSummary(t, r, "1200 imported, 0 rejected")
			// Not a terminal: a plain line per stored batch of 500.
			if want := "imported 500/1200 rows\nimported 1000/1200 rows\nimported 1200/1200 rows\n"; r.stderr != want {
				t.Errorf("stderr %q, want %q", r.stderr, want)
			}
			store := ocpStore(t, path)
			levels := []ocp.Level{ocp.None, ocp.Base, ocp.Premium}
			for i := int64(1); i <= 1200; i++ {
				p, err := store.Profile(t.Context(), i)
				if err != nil {
					t.Fatalf("customer %d: %v", i, err)
				}
				want := ocp.Profile{
					Customer: ocp.Customer{ID: i, NSID: 1000 + i, Name: fmt.Sprintf("Customer %d", i)},
					Email:    fmt.Sprintf("c%d@example.com", i), EnrollmentLevel: levels[i%3], IsRMS: i%2 == 1, OCPServices: []string{},
				}
				if !reflect.DeepEqual(p, want) {
					t.Fatalf("customer %d stored as %+v, want %+v", i, p, want)
				}
			}
			if _, ok := profileOf(t, path, 1201); ok {
				t.Errorf("customer 1201 exists")
			}
		})
	}
}

func TestOCPImportBatchesWithRejections(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	csvText, _ := manyRows(1001)
	// Break rows 2 and 700 (file lines 3 and 701).
	csvText = strings.Replace(csvText, "\n2,1002,", "\n2,-1002,", 1)
	csvText = strings.Replace(csvText, "c700@example.com", "c700@", 1)
	r := importFile(t, path, "c.csv", csvText)
	wantSummary(t, r, "999 imported, 2 rejected; these rows were not stored:",
		"line 3: nsid must not be negative.", `line 701: email "c700@" is not a valid email address.`)
	wantRejected(t, r, "imported 500/1001 rows\nimported 999/1001 rows\n", 2, 1001, 999)
	wantNoProfile(t, path, 2, 700)
	for _, id := range []int64{1, 3, 699, 701, 1001} {
		if _, ok := profileOf(t, path, id); !ok {
			t.Errorf("customer %d was not stored", id)
		}
	}
}

func TestOCPImportUpsert(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "ocp", "customer", "create", "--db", path, "--id", "1649", "--nsid", "1", "--name", "Old name",
		"--email", "old@example.com", "--enrollment-level", "Premium", "--isrms", "--ocpservices", "a")
	r := importFile(t, path, "first.csv", "id,nsid,name,canviewip\n1649,33333333,Acme ATM,1\n1650,2,Other,0\n")
	wantSummary(t, r, "2 imported, 0 rejected")
	// The row replaces the whole profile: columns it lacks take their defaults.
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, CanViewIP: true, EnrollmentLevel: ocp.None, OCPServices: []string{}})

	r = importFile(t, path, "second.json", `[
		{"id": 1650, "nsid": 3, "name": "Other, renamed", "enrollment_level": "Base"},
		{"id": 1649, "nsid": 33333333, "name": "Acme ATM", "email": "doug.do@acmeatm.zzz", "enrollment_level": "Premium", "ocpservices": [""]}
	]`)
	wantSummary(t, r, "2 imported, 0 rejected")
	if r.code != 0 {
		t.Errorf("exit %d", r.code)
	}
	wantProfile(t, path, acme)
	wantProfile(t, path, ocp.Profile{Customer: ocp.Customer{ID: 1650, NSID: 3, Name: "Other, renamed"}, EnrollmentLevel: ocp.Base, OCPServices: []string{}})
}

func TestRenderBar(t *testing.T) {
	t.Parallel()
	cases := []struct {
		done, total, width int
		want               string
	}{
		{0, 10000, 20, "[--------------------]   0%  0/10000 rows"},
		{5000, 10000, 20, "[##########----------]  50%  5000/10000 rows"},
		{9999, 10000, 20, "[###################-]  99%  9999/10000 rows"},
		{10000, 10000, 20, "[####################] 100%  10000/10000 rows"},
		{1, 3, 3, "[#--]  33%  1/3 rows"},
		{12, 10, 4, "[####] 100%  10/10 rows"}, // more than the total is the total
		{-1, 10, 4, "[----]   0%  0/10 rows"},
		{0, 0, 4, "[####] 100%  0/0 rows"}, // nothing to do is done
		{1, 2, 0, "[-]  50%  1/2 rows"},    // at least one cell
	}
	for _, c := range cases {
		if got := renderBar(c.done, c.total, c.width); got != c.want {
			t.Errorf("renderBar(%d, %d, %d) = %q, want %q", c.done, c.total, c.width, got, c.want)
		}
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	// On a terminal the bar is redrawn in place and its line ended.
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, total: 1000}
	p.update(500, 498)
	p.update(1000, 997)
	p.finish(1000)
	want := "\r" + renderBar(500, 1000, barWidth) + "\r" + renderBar(1000, 1000, barWidth) + "\r" + renderBar(1000, 1000, barWidth) + "\n"
	if buf.String() != want {
		t.Errorf("terminal progress %q, want %q", buf.String(), want)
	}

	// Elsewhere, a plain line per batch and nothing at the end.
	buf.Reset()
	p = &progress{w: &buf, total: 1000}
	p.update(500, 498)
	p.finish(1000)
	if buf.String() != "imported 498/1000 rows\n" {
		t.Errorf("plain progress %q", buf.String())
	}

	// A file that is not a terminal is not one; neither is a buffer.
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if newProgress(f, 5).tty || newProgress(&buf, 5).tty {
		t.Errorf("a regular file or a buffer taken for a terminal")
	}
}
