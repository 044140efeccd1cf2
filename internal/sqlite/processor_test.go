package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/sqlite"
)

var settleAt = time.Date(2017, 2, 21, 10, 38, 58, 0, time.UTC)

// seedCharges creates an organisation, an operator, EFFECTIVE subscriptions
// for half the customers, and n PENDING charges spread over them.
func seedCharges(t *testing.T, path string, n int) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tenancy, store := sqlite.NewTenancyStore(db), sqlite.NewNetflixStore(db)
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

// settlementCounts reads, straight from the file, how many charges are
// still PENDING and how many settlement events each charge has.
func settlementCounts(t *testing.T, path string) (pending int, eventsPerCharge map[int]int) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.QueryRow(`SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	rows, err := raw.Query(`SELECT n, count(*) FROM (
			SELECT c.id, count(e.id) AS n FROM netflix_charges c
			LEFT JOIN netflix_charge_events e ON e.charge_id = c.id AND e.actor = ?
			GROUP BY c.id)
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
	return pending, eventsPerCharge
}

func processor(t *testing.T, path string) *netflix.Processor {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := netflix.NewProcessor(sqlite.NewNetflixStore(db), func() time.Time { return settleAt }, time.Second, slog.New(slog.DiscardHandler))
	p.BatchSize = 50
	return p
}

// Two processors, each with its own connections to one file (as two server
// processes would have), drain the same charges at once: every charge is
// settled exactly once.
func TestTwoProcessorsSettleEachChargeOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cb.db")
	const n = 2000
	seedCharges(t, path, n)
	procs := []*netflix.Processor{processor(t, path), processor(t, path)}
	var wg sync.WaitGroup
	settled := make([]int, len(procs))
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A processor that finds the other holding the lock stops its
			// round, as at a tick; it runs again until nothing is left.
			for {
				n, err := p.Drain(context.Background())
				settled[i] += n
				if err != nil {
					errs[i] = err
					return
				}
				if pending, _ := settlementCounts(t, path); pending == 0 {
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
	pending, events := settlementCounts(t, path)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want every one of %d settled once", pending, events, n)
	}
}

// crashEnv names the database the helper process settles in.
const crashEnv = "CAREBRIDGE_CRASH_TEST_DB"

// TestCrashHelper is the child process of TestProcessDiesBetweenClaimAndCommit:
// it claims a batch and stops inside the settlement, before the commit,
// until it is killed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the child of TestProcessDiesBetweenClaimAndCommit")
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	store := sqlite.NewNetflixStore(db)
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

// A processor killed (SIGKILL) between claiming charges and committing
// their settlement loses nothing: the charges are still PENDING, and the
// next processor settles each exactly once.
func TestProcessDiesBetweenClaimAndCommit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cb.db")
	const n = 200
	seedCharges(t, path, n)

	child := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	child.Env = append(os.Environ(), crashEnv+"="+path)
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
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	pending, events := settlementCounts(t, path)
	if pending != n || events[0] != n {
		t.Fatalf("after the crash: %d PENDING, settlement events %v; want all %d PENDING and none settled", pending, events, n)
	}
	settled, err := processor(t, path).Drain(context.Background())
	if err != nil || settled != n {
		t.Fatalf("the next processor settled %d, %v; want %d", settled, err, n)
	}
	pending, events = settlementCounts(t, path)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want each settled once", pending, events)
	}
}
