package ocp_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
)

type row struct {
	place int
	p     ocp.Profile
	err   string // the error's code, "" for a good row
}

// parse detects the format of content, scans it and reads its rows.
func parse(t *testing.T, name, content string) (ocp.ImportFormat, []row) {
	t.Helper()
	f, err := ocp.DetectFormat(strings.NewReader(content), name)
	if err != nil {
		t.Fatalf("DetectFormat: %v", err)
	}
	n, err := f.Scan(strings.NewReader(content))
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var rows []row
	err = f.Rows(strings.NewReader(content), func(place int, p ocp.Profile, err error) error {
		rows = append(rows, row{place, p, carebridge.ErrorCode(err)})
		return nil
	})
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	if len(rows) != n {
		t.Fatalf("Scan counted %d rows, Rows read %d", n, len(rows))
	}
	return f, rows
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, content, want string // want: "csv", "json" or a part of the error
	}{
		{"a.csv", "id,nsid,name\n", "csv"},
		{"a.txt", " \n\t[{}]", "json"},
		{"a.csv", "\ufeff[{}]", "json"}, // the byte order mark is skipped
		{"a.json", "id,nsid,name\n", "named .json"},
		{"a.json", "{}", "array of customer objects"},
		{"a.csv", " \n", "is empty"},
	} {
		f, err := ocp.DetectFormat(strings.NewReader(c.content), c.name)
		got := ""
		switch {
		case err != nil:
			got = err.Error()
		case f.Where(3) == "line 3":
			got = "csv"
		case f.Where(3) == "item 3":
			got = "json"
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("DetectFormat(%s, %q) = %q, want %q", c.name, c.content, got, c.want)
		}
	}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	content := "\ufeffID, NSID ,Name,email,Enrollment_Level,canviewip,CANACCESSIP,isrms,ocpservices,devicesubsetstarttime\n" +
		"1649,33333333,Acme ATM, doug.do@acmeatm.zzz ,Premium,TRUE,0,1, wireless ; ;vpn,99\n" +
		"1650,,No NSID,,,,,,,\n" +
		"1651,1,Short\n" +
		"1652,1,Bad flag,,,yes,,,,\n" +
		"1653,1,Gold,,Gold,,,,,\n" +
		"1654,1,Defaults,,,,,,,\n"
	f, rows := parse(t, "c.csv", content)
	want := []row{
		{2, ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, Email: "doug.do@acmeatm.zzz",
			EnrollmentLevel: ocp.Premium, CanViewIP: true, IsRMS: true, OCPServices: []string{"wireless", "vpn"}, DeviceSubsetStartTime: 99,
		}, ""},
		{3, ocp.Profile{}, carebridge.EMISSING},
		{4, ocp.Profile{}, carebridge.EINVALID}, // fewer fields than the header
		{5, ocp.Profile{}, carebridge.EINVALID},
		{6, ocp.Profile{}, carebridge.EINVALID},
		{7, ocp.Profile{Customer: ocp.Customer{ID: 1654, NSID: 1, Name: "Defaults"}, EnrollmentLevel: ocp.None, OCPServices: []string{}}, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		got := rows[i]
		if got.place != w.place || got.err != w.err || (w.err == "" && !reflect.DeepEqual(got.p, w.p)) {
			t.Errorf("row %d = %+v, want %+v", i, got, w)
		}
	}
	if f.Where(4) != "line 4" {
		t.Errorf("Where(4) = %q", f.Where(4))
	}
}

// A fault of the file's structure refuses it whole at Scan.
func TestCSVRefusals(t *testing.T) {
	t.Parallel()
	for content, want := range map[string]string{
		"id,nsid,name,colour\n1,1,a,red\n": "unknown column \"colour\"",
		"id,nsid,name,ID\n":                "column id appears twice",
		"id,name\n1,a\n":                   "lacks the required column nsid",
		"id,nsid,name\n1,1,\"a\n":          "CSV syntax error on line 2",
		"\n":                               "no header row",
	} {
		f, err := ocp.DetectFormat(strings.NewReader("id\n"), "c.csv")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Scan(strings.NewReader(content)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Scan(%q) = %v, want %q", content, err, want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	content := `[
		{"id": 1649, "NSID": "33333333", "name": "Acme ATM", "isrms": true, "canviewip": 1, "ocpservices": ["wireless", ""], "enrollment_level": "Base"},
		{"id": 1650, "nsid": 1, "name": "Semicolons", "ocpservices": "a; b", "email": null},
		{"id": 1651, "nsid": 1, "name": 7},
		{"id": 1652, "nsid": 1, "name": "Twice", "name": "Again"},
		{"id": 1653, "nsid": 1, "name": "Services", "ocpservices": [1]},
		"not an object"
	]`
	_, rows := parse(t, "c.json", content)
	want := []row{
		{1, ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, IsRMS: true, CanViewIP: true,
			EnrollmentLevel: ocp.Base, OCPServices: []string{"wireless", ""},
		}, ""},
		{2, ocp.Profile{Customer: ocp.Customer{ID: 1650, NSID: 1, Name: "Semicolons"}, EnrollmentLevel: ocp.None, OCPServices: []string{"a", "b"}}, ""},
		{3, ocp.Profile{}, carebridge.EINVALID}, // name must be a string
		{4, ocp.Profile{}, carebridge.EINVALID}, // a key twice
		{5, ocp.Profile{}, carebridge.EINVALID},
		{6, ocp.Profile{}, carebridge.EINVALID},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		got := rows[i]
		if got.place != w.place || got.err != w.err || (w.err == "" && !reflect.DeepEqual(got.p, w.p)) {
			t.Errorf("item %d = %+v, want %+v", i+1, got, w)
		}
	}
}

func TestJSONRefusals(t *testing.T) {
	t.Parallel()
	for content, want := range map[string]string{
		`[{"id": 1, "nsid": 1, "name": "a", "colour": "red"}]`: "item 1: unknown key \"colour\"",
		`[{"id": 1}, `:   "ends early, in item 2",
		`[{"id": 1}] []`: "followed by more data",
		`[{"id": 1}, }]`: "JSON syntax error in item 2",
	} {
		f, err := ocp.DetectFormat(strings.NewReader(content), "c.json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Scan(strings.NewReader(content)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Scan(%s) = %v, want %q", content, err, want)
		}
	}
}

// An import stores the good rows in batches and rejects the bad ones and
// the repeats of a good row's id, naming their places.
func TestImport(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("id,nsid,name\n")
	n := ocp.ImportBatch + 10
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,1,c%d\n", i, i)
	}
	b.WriteString("1,1,again\n")  // line n+2: a repeat of line 2's id
	b.WriteString("x,1,bad id\n") // line n+3
	content := b.String()

	m := newMemory()
	svc := &ocp.Service{Store: ocp.NewRecords(m), Now: func() time.Time { return recordsAt }}
	f, err := ocp.DetectFormat(strings.NewReader(content), "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	var progress [][2]int
	rep, err := svc.Import(context.Background(), f, strings.NewReader(content), func(read, stored int) {
		progress = append(progress, [2]int{read, stored})
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != n+2 || rep.Stored != n || len(m.data.customers) != n {
		t.Fatalf("report %+v with %d stored, want %d read and %d stored", rep, len(m.data.customers), n+2, n)
	}
	want := []ocp.Rejection{
		{Place: fmt.Sprintf("line %d", n+2), Reason: "id 1 already on line 2."},
		{Place: fmt.Sprintf("line %d", n+3), Reason: `id must be an integer; got "x".`},
	}
	if !reflect.DeepEqual(rep.Rejected, want) {
		t.Fatalf("rejected %+v, want %+v", rep.Rejected, want)
	}
	if m.data.customers[1].Name != "c1" {
		t.Fatalf("customer 1 is %q: the repeat replaced it", m.data.customers[1].Name)
	}
	if !reflect.DeepEqual(progress, [][2]int{{ocp.ImportBatch, ocp.ImportBatch}, {n + 2, n}}) {
		t.Fatalf("progress %v", progress)
	}
}

// A batch that cannot be stored ends the import, saying how far it got.
func TestImportStoreFails(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("id,nsid,name\n")
	for i := 1; i <= ocp.ImportBatch+1; i++ {
		fmt.Fprintf(&b, "%d,1,c%d\n", i, i)
	}
	content := b.String()
	m := newMemory()
	calls := 0
	m.fail = func(string) error {
		if calls++; calls > ocp.ImportBatch {
			return carebridge.Errorf(carebridge.EUNAVAILABLE, "The database is busy; try again.")
		}
		return nil
	}
	svc := &ocp.Service{Store: ocp.NewRecords(m), Now: func() time.Time { return recordsAt }}
	f, _ := ocp.DetectFormat(strings.NewReader(content), "c.csv")
	rep, err := svc.Import(context.Background(), f, strings.NewReader(content), nil)
	want := fmt.Sprintf("storing the rows up to line %d: The database is busy; try again. (%d rows were stored before)", ocp.ImportBatch+2, ocp.ImportBatch)
	if err == nil || err.Error() != want {
		t.Fatalf("Import = %v, want %q", err, want)
	}
	if rep.Stored != ocp.ImportBatch || len(m.data.customers) != ocp.ImportBatch {
		t.Fatalf("stored %d (%d kept), want the first batch", rep.Stored, len(m.data.customers))
	}
}
