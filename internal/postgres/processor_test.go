package postgres_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/postgres"
)

var settleAt = time.Date(2017, 2, 21, 10, 38, 58, 0, time.UTC)

// schemaURL is the URL of the test database's schema db works in, for
// other pools (or processes) to open the same data.
func schemaURL(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var schema string
	if err := db.Pool().QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return postgres.WithSearchPath(os.Getenv(postgres.TestURLEnv), schema)
}

// seedCharges creates an organisation, an operator, EFFECTIVE subscriptions
// for half the customers, and n PENDING charges spread over them.
func seedCharges(t *testing.T, db *postgres.DB, n int) int64 {
	t.Helper()
	ctx := context.Background()
	tenancy, store := postgres.NewTenancyStore(db), postgres.NewNetflixStore(db)
	org, err := tenancy.CreateOrganisation(ctx, "acme", settleAt)
	if err != nil {
		t.Fatal(err)
	}
	op, err := tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "op", CreatedAt: settleAt})
	if err != nil {
		t.Fatal(err)
	}
	caller := carebridge.Caller{OperatorID: op.ID, OrganisationID: org.ID, Username: "seed"}
	for c := 0; c < 50; c += 2 {
		if _, err := store.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: op.ID, Actor: caller, At: settleAt,
			Request: netflix.CreateRequest{Customer: fmt.Sprintf("c%d", c)}}); err != nil {
			t.Fatal(err)
		}
	}
	for start := 0; start < n; start += netflix.MaxChargesPerReport {
		var batch []netflix.NewCharge
		for i := start; i < min(n, start+netflix.MaxChargesPerReport); i++ {
			batch = append(batch, netflix.NewCharge{PartnerChargeID: fmt.Sprintf("p%d", i), Customer: fmt.Sprintf("c%d", i%50),
				Amount: money.Amount{Minor: 599, Currency: "USD"}, ReceivedOn: settleAt})
		}
		if _, err := store.IngestCharges(ctx, op.ID, batch, "", settleAt); err != nil {
			t.Fatal(err)
		}
	}
	return op.ID
}

// settlementCounts reads, straight from the tables, how many charges are
// still PENDING and how many settlement events each charge has.
func settlementCounts(t *testing.T, db *postgres.DB) (pending int, eventsPerCharge map[int]int) {
	t.Helper()
	ctx := context.Background()
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Pool().Query(ctx, `SELECT n, count(*) FROM (
			SELECT c.id, count(e.id) AS n FROM netflix_charges c
			LEFT JOIN netflix_charge_events e ON e.charge_id = c.id AND e.actor = $1
			GROUP BY c.id) per_charge
		GROUP BY n`, netflix.SettlementActor)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	eventsPerCharge = map[int]int{}
	for rows.Next() {
		var events, charges int
		if err := rows.Scan(&events, &charges); err != nil {
			t.Fatal(err)
		}
		eventsPerCharge[events] = charges
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pending, eventsPerCharge
}

// processor opens its own pool on the schema, as another server process
// would, and returns a processor on it.
func processor(t *testing.T, schemaURL string) *netflix.Processor {
	t.Helper()
	db, err := postgres.Open(context.Background(), schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := netflix.NewProcessor(postgres.NewNetflixStore(db), func() time.Time { return settleAt }, time.Second, slog.New(slog.DiscardHandler))
	p.BatchSize = 50
	return p
}

// Two processors, each with its own pool on one schema (as two server
// processes would have), drain the same charges at once: every charge is
// settled exactly once.
func TestTwoProcessorsSettleEachChargeOnce(t *testing.T) {
	t.Parallel()
	db := postgres.OpenTest(t)
	const n = 2000
	seedCharges(t, db, n)
	u := schemaURL(t, db)
	procs := []*netflix.Processor{processor(t, u), processor(t, u)}
	var wg sync.WaitGroup
	settled := make([]int, len(procs))
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A processor whose batch comes out short (the other holds the
			// rest) ends its round, as at a tick; it runs again until
			// nothing is left.
			for {
				n, err := p.Drain(context.Background())
				settled[i] += n
				if err != nil {
					errs[i] = err
					return
				}
				if pending, _ := settlementCounts(t, db); pending == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if settled[0]+settled[1] != n {
		t.Fatalf("processors report %d + %d settled, want %d in all", settled[0], settled[1], n)
	}
	if settled[0] == 0 || settled[1] == 0 {
		t.Logf("one processor settled everything (%d + %d): SKIP LOCKED was not exercised this run", settled[0], settled[1])
	}
	pending, events := settlementCounts(t, db)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want every one of %d settled once", pending, events, n)
	}
}

// crashEnv names the schema URL the helper process settles in.
const crashEnv = "CAREBRIDGE_CRASH_TEST_POSTGRES"

// TestCrashHelper is the child process of TestProcessDiesBetweenClaimAndCommit:
// it claims a batch and stops inside the settlement, before the commit,
// until it is killed.
func TestCrashHelper(t *testing.T) {
	u := os.Getenv(crashEnv)
	if u == "" {
		t.Skip("runs only as the child of TestProcessDiesBetweenClaimAndCommit")
	}
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewNetflixStore(db)
	calls := 0
	store.SettleCharges(context.Background(), 100, settleAt, func(c netflix.Charge, sub *netflix.Subscription) netflix.ChargeStatus {
		calls++
		if calls == 50 {
			fmt.Println("claimed") // half the batch decided, nothing committed
			select {}
		}
		return netflix.Settlement(c, sub)
	})
	t.Fatal("the settlement returned; it should have been killed")
}

// withApplicationName names a URL's connections, so that the server's
// backends for them can be found in pg_stat_activity.
func withApplicationName(t *testing.T, u, name string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	q.Set("application_name", name)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// backends counts the server's connections with an application name.
func backends(t *testing.T, db *postgres.DB, name string) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var errRollback = errors.New("roll back")

// lockedPending counts the PENDING charges another transaction holds: those
// a claim with SKIP LOCKED passes over.
func lockedPending(t *testing.T, db *postgres.DB) int {
	t.Helper()
	ctx := context.Background()
	var total, free int
	err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&total); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT id FROM netflix_charges WHERE status = 'PENDING'
			FOR UPDATE SKIP LOCKED) free`).Scan(&free)
		if err != nil {
			return err
		}
		return errRollback // release what this count locked
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return total - free
}

// A processor killed (SIGKILL) between claiming charges and committing
// their settlement loses nothing: the server rolls its transaction back
// when the connection drops, the charges are still PENDING, and the next
// processor settles each exactly once.
func TestProcessDiesBetweenClaimAndCommit(t *testing.T) {
	t.Parallel()
	db := postgres.OpenTest(t)
	const n = 200
	seedCharges(t, db, n)

	appName := "carebridge-crash-" + fmt.Sprint(time.Now().UnixNano())
	child := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	child.Env = append(os.Environ(), crashEnv+"="+withApplicationName(t, schemaURL(t, db), appName))
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "claimed" {
				claimed <- true
				io.Copy(io.Discard, out)
				return
			}
		}
		claimed <- false
	}()
	select {
	case ok := <-claimed:
		if !ok {
			child.Wait()
			t.Fatal("the child ended without claiming")
		}
	case <-time.After(60 * time.Second):
		child.Process.Kill()
		child.Wait()
		t.Fatal("the child did not claim within a minute")
	}
	// The claim is real: the child's batch is locked against other claims.
	if locked := lockedPending(t, db); locked != 100 {
		t.Fatalf("%d PENDING charges locked by the child's claim, want its batch of 100", locked)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	pending, events := settlementCounts(t, db)
	if pending != n || events[0] != n {
		t.Fatalf("after the crash: %d PENDING, settlement events %v; want all %d PENDING and none settled", pending, events, n)
	}
	// The server notices the dropped connection on its own; until it has,
	// the dead child's locks stand and a claim would pass over its batch.
	deadline := time.Now().Add(30 * time.Second)
	for backends(t, db, appName) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed child's backend is still there after 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if locked := lockedPending(t, db); locked != 0 {
		t.Fatalf("%d charges still locked after the child's backend ended", locked)
	}
	settled, err := processor(t, schemaURL(t, db)).Drain(context.Background())
	if err != nil || settled != n {
		t.Fatalf("the next processor settled %d, %v; want %d", settled, err, n)
	}
	pending, events = settlementCounts(t, db)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want each settled once", pending, events)
	}
}
