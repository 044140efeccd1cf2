package cli

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// webhook create prints the signing secret once; list shows endpoints of
// the operator named, never secrets; delete, deliveries and redeliver
// reach only that operator's endpoints and deliveries.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	mustRun(t, "", "org", "create", "--db", path, "--name", "acme")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "tv")
	mustRun(t, "", "operator", "create", "--db", path, "--org", "acme", "--name", "radio")
	tv := []string{"--db", path, "--org", "acme", "--operator", "tv"}
	radio := []string{"--db", path, "--org", "acme", "--operator", "radio"}
	webhook := func(verb string, flags []string, more ...string) []string {
		return append(append([]string{"webhook", verb}, flags...), more...)
	}

	created := regexp.MustCompile(`^webhook endpoint ([0-9]+) of operator "tv" of "acme": https://erp\.example\.com/hooks takes charge\.settled,charge\.created\n` +
		`signing secret: (whsec_[0-9a-f]{64})\nIt is not shown again: store it now\.\n$`)
	r := mustRun(t, "", webhook("create", tv, "--url", "https://erp.example.com/hooks", "--events", "charge.settled,charge.created")...)
	m := created.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("stdout %q", r.stdout)
	}
	tvEndpoint, secret := m[1], m[2]
	raw := rawDB(t, path)
	var stored string
	if err := raw.QueryRow(`SELECT secret FROM webhook_endpoints WHERE id = ` + tvEndpoint).Scan(&stored); err != nil || stored != secret {
		t.Fatalf("stored secret %q (%v), printed %q", stored, err, secret)
	}
	r = mustRun(t, "", webhook("create", radio, "--url", "http://10.0.0.7:8080/in", "--events", "subscription.changed")...)
	radioEndpoint := regexp.MustCompile(`^webhook endpoint ([0-9]+) `).FindStringSubmatch(r.stdout)[1]

	for _, c := range []struct {
		args []string
		want string
	}{
		{webhook("create", tv, "--url", "ftp://erp.example.com/", "--events", "charge.settled"), "--url: The URL \"ftp://erp.example.com/\" is not an absolute http or https URL."},
		{webhook("create", tv, "--url", "https://me:pw@erp.example.com/", "--events", "charge.settled"), "--url: The URL \"https://me:pw@erp.example.com/\" holds a user name or password"},
		{webhook("create", tv, "--url", "https://erp.example.com/", "--events", "charge.refunded"), `--events: "charge.refunded" is not an event type; the event types are charge.created,charge.settled,subscription.changed.`},
		{webhook("create", tv, "--url", "https://erp.example.com/", "--events", "charge.settled,charge.settled"), `--events: The event type "charge.settled" is named twice.`},
		{webhook("create", tv, "--url", "https://erp.example.com/"), "--events is required"},
		{webhook("create", []string{"--db", path, "--org", "acme", "--operator", "tv", "--events", "charge.settled"}), "--url is required"},
		{webhook("create", []string{"--db", path, "--org", "nobody", "--operator", "tv"}, "--url", "https://erp.example.com/", "--events", "charge.settled"), `Organisation "nobody" does not exist.`},
		{webhook("list", []string{"--db", path, "--org", "acme", "--operator", "tx"}), `Operator "tx" does not exist in this organisation.`},
		{webhook("list", []string{"--db", path, "--org", "acme"}), "--operator is required"},
		{webhook("delete", tv), "--id is required"},
		{webhook("delete", tv, "--id", "-2"), "--id must be a positive number"},
		{webhook("delete", radio, "--id", tvEndpoint), "The operator has no webhook endpoint " + tvEndpoint + "."},
		{webhook("deliveries", tv, "--limit", "0"), "--limit must be from 1 to 1000, not 0"},
		{webhook("deliveries", tv, "--limit", "1001"), "--limit must be from 1 to 1000, not 1001"},
		{webhook("redeliver", tv), "--id is required"},
	} {
		wantFail(t, runCLI(t, nil, "", c.args...), 1, c.want)
	}

	list := mustRun(t, "", webhook("list", tv)...).stdout
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^ID +URL +EVENTS +CREATED$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^`+tvEndpoint+` +https://erp\.example\.com/hooks +charge\.settled,charge\.created +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(lines[1]) ||
		strings.Contains(list, "whsec_") {
		t.Fatalf("list:\n%s", list)
	}

	// Deliveries as the deliverer leaves them: one pending after a 503,
	// one failed, one delivered; and one of radio's.
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	tvOp, radioOp := operatorOf(t, path, "acme", "tv"), operatorOf(t, path, "acme", "radio")
	event := func(opID int64, typ string) int64 {
		return rawInsert(t, raw, fmt.Sprintf(`INSERT INTO netflix_webhook_events (operator_id, type, customer, data, created_at)
			VALUES (%d, '%s', 'pci150', '{}', %d) RETURNING id`, opID, typ, at.Unix()))
	}
	delivery := func(event int64, endpoint, rest string) string {
		return fmt.Sprint(rawInsert(t, raw, fmt.Sprintf(`INSERT INTO netflix_webhook_deliveries (event_id, endpoint_id, customer,
			state, attempts, next_attempt_at, retry_until, last_status, last_error, created_at, ended_at)
			VALUES (%d, %s, 'pci150', %s) RETURNING id`, event, endpoint, rest)))
	}
	day := at.Add(24 * time.Hour).Unix()
	pending := delivery(event(tvOp.ID, "charge.settled"), tvEndpoint, fmt.Sprintf(`'pending', 2, %d, %d, 503, 'HTTP 503', %d, NULL`, at.Add(10*time.Minute).Unix(), day, at.Unix()))
	failed := delivery(event(tvOp.ID, "charge.created"), tvEndpoint, fmt.Sprintf(`'failed', 12, %d, %d, NULL, 'connection refused', %d, %d`, day, day, at.Unix(), day))
	delivered := delivery(event(tvOp.ID, "charge.settled"), tvEndpoint, fmt.Sprintf(`'delivered', 1, %d, %d, 204, NULL, %d, %d`, at.Unix(), day, at.Unix(), at.Unix()+1))
	radioFailed := delivery(event(radioOp.ID, "subscription.changed"), radioEndpoint, fmt.Sprintf(`'failed', 3, %d, %d, 500, 'HTTP 500', %d, %d`, day, day, at.Unix(), day))

	// rows lists a deliveries table's rows, each split into its columns
	// (the last one, the outcome, may hold spaces).
	rows := func(args ...string) [][]string {
		t.Helper()
		out := mustRun(t, "", args...).stdout
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !regexp.MustCompile(`^ID +EVENT +TYPE +CUSTOMER +ENDPOINT +STATE +ATTEMPTS +NEXT ATTEMPT +ENDED +LAST$`).MatchString(lines[0]) {
			t.Fatalf("header %q", lines[0])
		}
		var rows [][]string
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			rows = append(rows, append(f[:9:9], strings.Join(f[9:], " ")))
		}
		return rows
	}
	ids := func(rows [][]string) (ids []string) {
		for _, r := range rows {
			ids = append(ids, r[0])
		}
		return ids
	}
	all := rows(webhook("deliveries", tv)...)
	if got, want := ids(all), []string{delivered, failed, pending}; !slices.Equal(got, want) {
		t.Fatalf("deliveries %v, want %v, newest first", got, want)
	}
	for i, want := range [][]string{
		{delivered, "", "charge.settled", "pci150", tvEndpoint, "delivered", "1", "-", "2026-03-04T10:00:01Z", "204"},
		{failed, "", "charge.created", "pci150", tvEndpoint, "failed", "12", "-", "2026-03-05T10:00:00Z", "connection refused"},
		{pending, "", "charge.settled", "pci150", tvEndpoint, "pending", "2", "2026-03-04T10:10:00Z", "-", "503 HTTP 503"},
	} {
		want[1] = all[i][1]
		if !slices.Equal(all[i], want) {
			t.Errorf("row %d = %q, want %q", i, all[i], want)
		}
	}
	if got := ids(rows(webhook("deliveries", tv, "--failed")...)); !slices.Equal(got, []string{failed}) {
		t.Errorf("--failed: %v", got)
	}
	if got := ids(rows(webhook("deliveries", tv, "--limit", "2")...)); !slices.Equal(got, []string{delivered, failed}) {
		t.Errorf("--limit 2: %v", got)
	}
	if got := ids(rows(webhook("deliveries", radio)...)); !slices.Equal(got, []string{radioFailed}) {
		t.Errorf("radio: %v", got)
	}

	// Redelivering: only the operator's own; pending again, attempts kept.
	wantFail(t, runCLI(t, nil, "", webhook("redeliver", radio, "--id", failed)...), 1, "The operator has no webhook delivery "+failed+".")
	r = mustRun(t, "", webhook("redeliver", tv, "--id", failed)...)
	if !regexp.MustCompile(`^webhook delivery ` + failed + ` of operator "tv" of "acme" is pending again: event [0-9]+ \(charge\.created of customer "pci150"\) to https://erp\.example\.com/hooks, attempted 12 times so far, retried until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$`).MatchString(r.stdout) {
		t.Errorf("redeliver: %q", r.stdout)
	}
	if got := ids(rows(webhook("deliveries", tv, "--failed")...)); len(got) != 0 {
		t.Errorf("failed after redeliver: %v", got)
	}
	if row := rows(webhook("deliveries", tv)...)[1]; row[5] != "pending" || row[6] != "12" || row[7] == "-" || row[8] != "-" {
		t.Errorf("redelivered row %q", row)
	}

	// By its id alone, any operator's.
	r = mustRun(t, "", "webhook", "redeliver", "--db", path, "--id", radioFailed)
	if !regexp.MustCompile(`^webhook delivery ` + radioFailed + ` of its operator is pending again: event [0-9]+ \(subscription\.changed of customer "[^"]+"\) to \S+, attempted 3 times so far, retried until \S+\n$`).MatchString(r.stdout) {
		t.Errorf("redeliver by id: %q", r.stdout)
	}
	wantFail(t, runCLI(t, nil, "", "webhook", "redeliver", "--db", path, "--id", "99999"), 1, "99999")
	wantFail(t, runCLI(t, nil, "", "webhook", "redeliver", "--db", path, "--org", "acme", "--id", radioFailed), 1, "--operator is required")

	// Deleting: only the operator's own, with its deliveries.
	r = mustRun(t, "", webhook("delete", tv, "--id", tvEndpoint)...)
	if r.stdout != `webhook endpoint `+tvEndpoint+` of operator "tv" of "acme" deleted, with its deliveries`+"\n" {
		t.Errorf("delete: %q", r.stdout)
	}
	if list := mustRun(t, "", webhook("list", tv)...).stdout; strings.Count(list, "\n") != 1 {
		t.Errorf("list after delete:\n%s", list)
	}
	if got := rows(webhook("deliveries", tv)...); len(got) != 0 {
		t.Errorf("deliveries after delete: %v", got)
	}
	if got := ids(rows(webhook("deliveries", radio)...)); !slices.Equal(got, []string{radioFailed}) {
		t.Errorf("radio after tv's delete: %v", got)
	}
	wantFail(t, runCLI(t, nil, "", webhook("delete", tv, "--id", tvEndpoint)...), 1, "The operator has no webhook endpoint "+tvEndpoint+".")
}

// webhook create -h names the event types.
func TestWebhookCreateHelp(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "", "webhook", "create", "-h")
	if r.code != 0 || !strings.Contains(r.stderr, "charge.created,charge.settled,subscription.changed") || !strings.Contains(r.stderr, "Usage: carebridge webhook create") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	help := mustRun(t, "", "help").stdout
	for _, verb := range []string{"create", "list", "delete", "deliveries", "redeliver"} {
		if !strings.Contains(help, "carebridge webhook "+verb+" ") {
			t.Errorf("help lacks webhook %s", verb)
		}
	}
}

// rawDB opens the database a command wrote, past the stores.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawInsert(t *testing.T, db *sql.DB, q string) (id int64) {
	t.Helper()
	if err := db.QueryRow(q).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}
