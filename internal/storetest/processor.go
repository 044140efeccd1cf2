package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

var settleAt = time.Date(2017, 2, 21, 10, 38, 58, 0, time.UTC)

func testProcessor(t *testing.T, open Open) {
	t.Run("TwoProcessorsSettleEachChargeOnce", func(t *testing.T) { t.Parallel(); testTwoProcessors(t, open) })
	t.Run("ProcessDiesBetweenClaimAndCommit", func(t *testing.T) { t.Parallel(); testProcessDies(t, open) })
}

// seedCharges creates an organisation, an operator, EFFECTIVE subscriptions
// for half the customers, and n PENDING charges spread over them.
func seedCharges(t *testing.T, s Stores, n int) int64 {
	t.Helper()
	ctx := context.Background()
	org, err := s.Tenancy.CreateOrganisation(ctx, "acme", settleAt)
	if err != nil {
		t.Fatal(err)
	}
	op, err := s.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "op", CreatedAt: settleAt})
	if err != nil {
		t.Fatal(err)
	}
	caller := carebridge.Caller{OperatorID: op.ID, OrganisationID: org.ID, Username: "seed"}
	for c := 0; c < 50; c += 2 {
		if _, err := s.Netflix.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: op.ID, Actor: caller, At: settleAt,
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
		if _, err := s.Netflix.IngestCharges(ctx, op.ID, batch, "", settleAt); err != nil {
			t.Fatal(err)
		}
	}
	return op.ID
}

// settlementCounts reads, straight from the tables, how many charges are
// still PENDING and how many settlement events each charge has.
func settlementCounts(t *testing.T, db *sql.DB) (pending int, eventsPerCharge map[int]int) {
	t.Helper()
	if err := db.QueryRow(`SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	// The actor is a literal: the engines' drivers spell placeholders
	// differently.
	actor := "'" + strings.ReplaceAll(netflix.SettlementActor, "'", "''") + "'"
	rows, err := db.Query(`SELECT n, count(*) FROM (
			SELECT c.id, count(e.id) AS n FROM netflix_charges c
			LEFT JOIN netflix_charge_events e ON e.charge_id = c.id AND e.actor = ` + actor + `
			GROUP BY c.id) per_charge
		GROUP BY n`)
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

// processor runs on connections of its own to s's database, as another
// server process would.
func processor(t *testing.T, s Stores) *netflix.Processor {
	t.Helper()
	p := netflix.NewProcessor(s.Again(t).Netflix, func() time.Time { return settleAt }, time.Second, slog.New(slog.DiscardHandler))
	p.BatchSize = 50
	return p
}

// Two processors, each with its own connections to one database (as two
// server processes would have), drain the same charges at once: every
// charge is settled exactly once.
func testTwoProcessors(t *testing.T, open Open) {
	s := open(t)
	const n = 2000
	seedCharges(t, s, n)
	db := s.SQL(t)
	procs := []*netflix.Processor{processor(t, s), processor(t, s)}
	var wg sync.WaitGroup
	settled := make([]int, len(procs))
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A processor that finds the other in its way (holding the
			// lock, or the rest of the batch) ends its round, as at a
			// tick; it runs again until nothing is left.
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
		t.Logf("one processor settled everything (%d + %d): they did not meet this run", settled[0], settled[1])
	}
	pending, events := settlementCounts(t, db)
	if pending != 0 || events[1] != n || len(events) != 1 {
		t.Fatalf("pending %d, charges by settlement count %v; want every one of %d settled once", pending, events, n)
	}
}
