package cli

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/partnerapi"
	"carebridge/internal/server"
	"carebridge/internal/signature"
	"carebridge/internal/sqlite"
	"carebridge/internal/testserver"
)

// withOperator returns a fresh database holding organisation acme with
// operators op1 and op2.
func withOperator(t *testing.T) string {
	t.Helper()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op1")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "op2")
	return path
}

var secretLine = regexp.MustCompile(`^operator "(\w+)" \(group id (\d+)\) partner secret: ([0-9a-f]{64})\n$`)

// secretOf runs operator secret and returns the secret it printed.
func secretOf(t *testing.T, path, operator string, extra ...string) string {
	t.Helper()
	r := mustRun(t, "", append([]string{"operator", "secret", "--db", path, "--org", "acme", "--operator", operator}, extra...)...)
	m := secretLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q is not one line with a 64-hex secret", r.stdout)
	}
	if op := operatorOf(t, path, "acme", operator); m[1] != operator || m[2] != strconv.FormatInt(op.ID, 10) {
		t.Errorf("printed operator %q group id %s, want %q %d", m[1], m[2], operator, op.ID)
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	return m[3]
}

func storedSecret(t *testing.T, path, operator string) string {
	t.Helper()
	s, err := sqlite.NewTenancyStore(openDB(t, path)).PartnerSecret(t.Context(), operatorOf(t, path, "acme", operator).ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOperatorSecret(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	first := secretOf(t, path, "op1")
	if again := secretOf(t, path, "op1"); again != first {
		t.Errorf("second run printed %s, first %s", again, first)
	}
	if s := storedSecret(t, path, "op1"); s != first {
		t.Errorf("printed %s, stored %s", first, s)
	}
	other := secretOf(t, path, "op2")
	if other == first {
		t.Errorf("op1 and op2 share the secret %s", first)
	}

	rotated := secretOf(t, path, "op1", "--rotate")
	if rotated == first {
		t.Fatalf("--rotate printed the old secret %s", first)
	}
	if s := secretOf(t, path, "op1"); s != rotated {
		t.Errorf("after --rotate: %s, want %s", s, rotated)
	}
	if s := storedSecret(t, path, "op1"); s != rotated {
		t.Errorf("stored %s after --rotate, want %s", s, rotated)
	}
	if s := secretOf(t, path, "op2"); s != other {
		t.Errorf("rotating op1 changed op2's secret: %s, was %s", s, other)
	}

	// A report signed with the old secret is refused, with the new one
	// accepted.
	now := time.Date(2017, 2, 4, 10, 0, 0, 0, time.UTC)
	srv := testserver.NewOn(t, path, server.Config{Now: func() time.Time { return now }}).Serve(t)
	op := operatorOf(t, path, "acme", "op1")
	body := []byte(`{"charges": [{"partner_charge_id": "p-1", "billing_system_customer_identifier": "c-1", "amount": 5.99, "currency": "USD", "received_on": "2017-02-04T02:00:00"}]}`)
	post := func(secret string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+partnerapi.Path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(partnerapi.OperatorHeader, strconv.FormatInt(op.ID, 10))
		req.Header.Set(partnerapi.SignatureHeader, signature.Sign(secret, now, body))
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(first); code != http.StatusUnauthorized {
		t.Errorf("signed with the old secret: HTTP %d, want 401", code)
	}
	if code := post(rotated); code != http.StatusOK {
		t.Errorf("signed with the new secret: HTTP %d, want 200", code)
	}
}

func TestOperatorSecretRefusals(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	before := storedSecret(t, path, "op1")
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"--org", "nope", "--operator", "op1"}, []string{`"nope" does not exist`}},
		{[]string{"--org", "acme", "--operator", "nope"}, []string{`"nope" does not exist`}},
		{[]string{"--org", "nope", "--operator", "op1", "--rotate"}, []string{"does not exist"}},
		{[]string{"--org", "acme", "--operator", "nope", "--rotate"}, []string{"does not exist"}},
		{[]string{"--org", "acme"}, []string{"--operator"}},
		{[]string{"--operator", "op1"}, []string{"--org"}},
	} {
		r := runCLI(t, nil, "", append([]string{"operator", "secret", "--db", path}, c.args...)...)
		wantFail(t, r, 1, c.wants...)
		if r.stdout != "" {
			t.Errorf("%q: stdout %q, want nothing", c.args, r.stdout)
		}
	}
	if s := storedSecret(t, path, "op1"); s != before {
		t.Errorf("refused commands changed op1's secret")
	}
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pending lists an operator's PENDING charges by partner id.
func pending(t *testing.T, path, operator string) map[string]netflix.Charge {
	t.Helper()
	op := operatorOf(t, path, "acme", operator)
	cs, err := sqlite.NewNetflixStore(openDB(t, path)).UnacknowledgedCharges(t.Context(), op.ID, netflix.ListRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]netflix.Charge{}
	for _, c := range cs {
		if _, dup := m[c.PartnerChargeID]; dup {
			t.Fatalf("partner charge id %q stored twice", c.PartnerChargeID)
		}
		m[c.PartnerChargeID] = c
	}
	return m
}

const threeCharges = `{"charges": [
	{"partner_charge_id": "p-1", "billing_system_customer_identifier": "c-1", "amount": 5.99, "currency": "USD",
	 "local_currency_amount": 5.5, "local_currency": "EUR", "paid_through_date": "2017-03-04T02:00:00", "received_on": "2017-02-04T02:00:00"},
	{"partner_charge_id": "p-2", "billing_system_customer_identifier": "c-2", "amount": 500, "currency": "JPY", "received_on": "2017-02-04T04:30:00+02:00"},
	{"partner_charge_id": "p-3", "billing_system_customer_identifier": "c-1", "amount": 12, "currency": "USD", "received_on": "2017-02-04T03:00:00Z"}
]}`

var ingestLine = regexp.MustCompile(`^charge (\d+) \(([^)]*)\): (created|duplicate of) (I\d{8})$`)

// ingested parses the per-charge lines of charges ingest into partner id →
// (verb, number), checks the summary line and returns both.
func ingested(t *testing.T, stdout, summary string) map[string][2]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if got := lines[len(lines)-1]; got != summary {
		t.Errorf("summary %q, want %q (stdout %q)", got, summary, stdout)
	}
	out := map[string][2]string{}
	for _, l := range lines[:len(lines)-1] {
		if m := ingestLine.FindStringSubmatch(l); m != nil {
			out[m[2]] = [2]string{m[3], m[4]}
		}
	}
	return out
}

func TestChargesIngest(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	file := writeFile(t, "charges.json", threeCharges)
	r := mustRun(t, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op1")
	first := ingested(t, r.stdout, "3 created, 0 duplicate, 0 rejected")
	if len(first) != 3 || strings.Count(r.stdout, "\n") != 4 {
		t.Fatalf("stdout %q, want a line per charge and a summary", r.stdout)
	}
	stored := pending(t, path, "op1")
	if len(stored) != 3 {
		t.Fatalf("%d PENDING charges, want 3", len(stored))
	}
	for id, got := range first {
		c, ok := stored[id]
		if got[0] != "created" || !ok || c.Number() != got[1] {
			t.Errorf("%s: printed %s %s, stored %+v", id, got[0], got[1], c)
		}
	}
	p1 := stored["p-1"]
	if p1.Amount != (money.Amount{Minor: 599, Currency: "USD"}) || p1.LocalAmount != (money.Amount{Minor: 550, Currency: "EUR"}) ||
		!p1.PaidThroughDate.Equal(time.Date(2017, 3, 4, 2, 0, 0, 0, time.UTC)) || !p1.ReceivedOn.Equal(time.Date(2017, 2, 4, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("p-1 stored as %+v", p1)
	}
	if p2 := stored["p-2"]; p2.Amount != (money.Amount{Minor: 500, Currency: "JPY"}) || !p2.ReceivedOn.Equal(time.Date(2017, 2, 4, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("p-2 stored as %+v", p2)
	}
	if n := len(pending(t, path, "op2")); n != 0 {
		t.Errorf("op2 has %d charges", n)
	}

	r = mustRun(t, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op1")
	again := ingested(t, r.stdout, "0 created, 3 duplicate, 0 rejected")
	for id, got := range again {
		if got[0] != "duplicate of" || got[1] != first[id][1] {
			t.Errorf("%s: second run printed %s %s, want duplicate of %s", id, got[0], got[1], first[id][1])
		}
	}
	if len(again) != 3 || len(pending(t, path, "op1")) != 3 {
		t.Errorf("second run: %d lines, %d stored", len(again), len(pending(t, path, "op1")))
	}

	// The same file for another operator makes charges of its own.
	r = mustRun(t, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op2")
	for id, got := range ingested(t, r.stdout, "3 created, 0 duplicate, 0 rejected") {
		if got[1] == first[id][1] {
			t.Errorf("%s: op2's charge has op1's number %s", id, got[1])
		}
	}
}

func TestChargesIngestBadItem(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	file := writeFile(t, "charges.json", `{"charges": [
		{"partner_charge_id": "g-1", "billing_system_customer_identifier": "c-1", "amount": 5.99, "currency": "USD", "received_on": "2017-02-04T02:00:00"},
		{"partner_charge_id": "b-2", "billing_system_customer_identifier": "c-2", "amount": 5.989999771118164, "currency": "USD", "received_on": "2017-02-04T02:00:00"},
		{"partner_charge_id": "g-3", "billing_system_customer_identifier": "c-3", "amount": 1, "currency": "USD", "received_on": "2017-02-04T02:00:00"}
	]}`)
	r := runCLI(t, nil, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op1")
	wantFail(t, r, 1, "1 of 3")
	printed := ingested(t, r.stdout, "2 created, 0 duplicate, 1 rejected")
	if !strings.Contains(r.stdout, "charge 2 (b-2): rejected: amount: 5.989999771118164 has more than the 2 decimals USD allows.\n") {
		t.Errorf("stdout %q does not list the bad charge with its reason", r.stdout)
	}
	stored := pending(t, path, "op1")
	if len(stored) != 2 || stored["g-1"].Number() != printed["g-1"][1] || stored["g-3"].Number() != printed["g-3"][1] {
		t.Errorf("stored %+v, printed %v: want g-1 and g-3 only", stored, printed)
	}

	// Every item bad: nothing stored, each listed.
	file = writeFile(t, "bad.json", `{"charges": [
		{"partner_charge_id": "b-4", "billing_system_customer_identifier": "c-4", "amount": "5.99", "currency": "USD", "received_on": "2017-02-04T02:00:00"},
		{"partner_charge_id": "b-5", "amount": 5.99, "currency": "USD", "received_on": "2017-02-04T02:00:00"}
	]}`)
	r = runCLI(t, nil, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op1")
	wantFail(t, r, 1, "all 2 charges were rejected; nothing was stored")
	ingested(t, r.stdout, "0 created, 0 duplicate, 2 rejected")
	for _, w := range []string{"charge 1 (b-4): rejected: amount must be a number.", "charge 2 (b-5): rejected: billing_system_customer_identifier is mandatory."} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout %q lacks %q", r.stdout, w)
		}
	}
	if n := len(pending(t, path, "op1")); n != 2 {
		t.Errorf("%d charges stored, want 2", n)
	}
}

// Dates far outside reason are rejected item by item, by the same rule as
// the partner endpoint.
func TestChargesIngestDatesOutsideReason(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	file := writeFile(t, "dates.json", `{"charges": [
		{"partner_charge_id": "d-1", "billing_system_customer_identifier": "c-1", "amount": 1, "currency": "USD", "received_on": "0000-01-01T00:00:00"},
		{"partner_charge_id": "d-2", "billing_system_customer_identifier": "c-2", "amount": 1, "currency": "USD", "received_on": "9999-12-31T23:59:59"},
		{"partner_charge_id": "d-3", "billing_system_customer_identifier": "c-3", "amount": 1, "currency": "USD", "received_on": "2017-02-04T02:00:00", "paid_through_date": "9999-01-01T00:00:00"},
		{"partner_charge_id": "g-4", "billing_system_customer_identifier": "c-4", "amount": 1, "currency": "USD", "received_on": "2017-02-04T02:00:00"}
	]}`)
	r := runCLI(t, nil, "", "charges", "ingest", file, "--db", path, "--org", "acme", "--operator", "op1")
	wantFail(t, r, 1, "3 of 4")
	ingested(t, r.stdout, "1 created, 0 duplicate, 3 rejected")
	for _, w := range []string{
		"charge 1 (d-1): rejected: received_on is 0000-01-01T00:00:00; a charge date must be from 1970-01-01 to 2099-12-31 (UTC).\n",
		"charge 2 (d-2): rejected: received_on is 9999-12-31T23:59:59;",
		"charge 3 (d-3): rejected: paid_through_date is 9999-01-01T00:00:00;",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("stdout %q lacks %q", r.stdout, w)
		}
	}
	if stored := pending(t, path, "op1"); len(stored) != 1 || stored["g-4"].ID == 0 {
		t.Errorf("stored %+v, want g-4 only", stored)
	}
}

func TestChargesIngestFileAfterFlags(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	file := writeFile(t, "charges.json", threeCharges)
	r := mustRun(t, "", "charges", "ingest", "--db", path, "--org", "acme", "--operator", "op1", file)
	ingested(t, r.stdout, "3 created, 0 duplicate, 0 rejected")
	if n := len(pending(t, path, "op1")); n != 3 {
		t.Errorf("%d charges stored, want 3", n)
	}
}

func TestChargesIngestRefusals(t *testing.T) {
	t.Parallel()
	path := withOperator(t)
	good := writeFile(t, "good.json", threeCharges)
	missing := filepath.Join(t.TempDir(), "missing.json")
	cases := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"missing file", []string{missing, "--org", "acme", "--operator", "op1"}, []string{"missing.json"}},
		{"malformed JSON", []string{writeFile(t, "bad.json", `{"charges": [{"partner_charge_id": "p-9",`), "--org", "acme", "--operator", "op1"}, []string{"JSON"}},
		{"not a report", []string{writeFile(t, "list.json", `[{"partner_charge_id": "p-9"}]`), "--org", "acme", "--operator", "op1"}, []string{"JSON object"}},
		{"no charges", []string{writeFile(t, "empty.json", `{"charges": []}`), "--org", "acme", "--operator", "op1"}, []string{"1 to 1000"}},
		{"extra field", []string{writeFile(t, "extra.json", strings.Replace(threeCharges, `{"charges"`, `{"x": 1, "charges"`, 1)), "--org", "acme", "--operator", "op1"}, []string{"x is not a field"}},
		{"lone surrogate", []string{writeFile(t, "surrogate.json", strings.Replace(threeCharges, `"c-2"`, `"c-\ud800"`, 1)), "--org", "acme", "--operator", "op1"},
			[]string{"charges[1].billing_system_customer_identifier", "surrogate"}},
		{"duplicate member", []string{writeFile(t, "dup.json", strings.Replace(threeCharges, `"amount": 500,`, `"amount": 500, "amount": 5,`, 1)), "--org", "acme", "--operator", "op1"},
			[]string{"charges[1].amount", "more than once"}},
		{"unknown operator", []string{good, "--org", "acme", "--operator", "nope"}, []string{`"nope" does not exist`}},
		{"unknown org", []string{good, "--org", "nope", "--operator", "op1"}, []string{`"nope" does not exist`}},
		{"no FILE", []string{"--org", "acme", "--operator", "op1"}, []string{"FILE"}},
		{"no operator", []string{good, "--org", "acme"}, []string{"--operator"}},
	}
	for _, c := range cases {
		args := append(append([]string{"charges", "ingest"}, c.args...), "--db", path)
		r := runCLI(t, nil, "", args...)
		wantFail(t, r, 1, c.wants...)
		if r.stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", c.name, r.stdout)
		}
	}
	for _, op := range []string{"op1", "op2"} {
		if n := len(pending(t, path, op)); n != 0 {
			t.Errorf("%s: %d charges stored by refused commands", op, n)
		}
	}
}
