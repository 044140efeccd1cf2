package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/postgres"
)

// BenchmarkChargeListQuery is charges/list's query for PROCESSED, first
// page of 50, on PostgreSQL, for an operator with 20 000 charges: 10 000
// PENDING, 8 000 settled and acknowledged, 2 000 settled and not
// acknowledged (the SQLite benchmark's shape, smaller: the setup took 13
// to 16 s on 2 shared cores, most of it acknowledging 8 000 charges at
// several round trips each). It needs CAREBRIDGE_TEST_POSTGRES and skips
// without it.
func BenchmarkChargeListQuery(b *testing.B) {
	const total, unacknowledged, limit = 20_000, 2_000, 50
	db := open(b)
	ctx := context.Background()
	at := time.Date(2017, 2, 21, 10, 7, 23, 0, time.UTC)
	tenancy, store := postgres.NewTenancyStore(db), postgres.NewNetflixStore(db)
	org, err := tenancy.CreateOrganisation(ctx, "bench", at)
	if err != nil {
		b.Fatal(err)
	}
	op, err := tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "bench", CreatedAt: at})
	if err != nil {
		b.Fatal(err)
	}
	actor := carebridge.Caller{UserID: 1, Username: "billing", OperatorID: op.ID, OrganisationID: org.ID}
	start := time.Now()

	// Reports of 1000, received_on a permutation of their seconds (7919 is
	// prime), so that report order is not list order.
	var charges []netflix.Ack // in number order
	for k0 := 0; k0 < total; k0 += 1000 {
		batch := make([]netflix.NewCharge, 0, 1000)
		for k := k0; k < min(total, k0+1000); k++ {
			c := netflix.NewCharge{
				PartnerChargeID: fmt.Sprintf("nf-%08d", k),
				Customer:        fmt.Sprintf("pci%05d", k%2000),
				Amount:          money.Amount{Minor: int64(199 + 100*(k%5)), Currency: "USD"},
				PaidThroughDate: at.AddDate(0, 0, 14),
				ReceivedOn:      at.Add(-time.Duration(k*7919%100_000) * time.Second),
			}
			if k%3 == 0 {
				c.LocalAmount = money.Amount{Minor: int64(550 + k%100), Currency: "EUR"}
			}
			batch = append(batch, c)
		}
		results, err := store.IngestCharges(ctx, op.ID, batch, "", at)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range results {
			if r.Err != nil || r.Duplicate || r.ChargeID == 0 {
				b.Fatalf("charge %s: %+v", batch[i].PartnerChargeID, r)
			}
			charges = append(charges, netflix.Ack{Number: netflix.ChargeNumber(r.ChargeID), Customer: batch[i].Customer})
		}
	}
	ingested := time.Now()

	// The first half (by number) is settled in the processor's batches of
	// 500, every charge APPROVED.
	approve := func(netflix.Charge, *netflix.Subscription) netflix.ChargeStatus { return netflix.Approved }
	for done := 0; done < total/2; {
		batch, err := store.SettleCharges(ctx, min(500, total/2-done), at.Add(31*time.Minute), approve)
		n := len(batch)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("settled %d charges, want %d", done, total/2)
		}
		done += n
	}
	settled := time.Now()

	// All settled charges but every fifth are acknowledged, every other one
	// with a reference number, in calls of 1000 (the API takes 50).
	var acks []netflix.Ack
	for i, a := range charges[:total/2] {
		if i%(total/2/unacknowledged) == 0 {
			continue
		}
		if len(acks)%2 == 0 {
			a.ReferenceNumber = "INV-" + a.Number
		}
		acks = append(acks, a)
	}
	for len(acks) > 0 {
		n := min(len(acks), 1000)
		failures, err := store.AcknowledgeCharges(ctx, op.ID, acks[:n], actor, at.Add(2*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if len(failures) != 0 {
			b.Fatalf("%d of %d acknowledgements failed, first %+v", len(failures), n, failures[0])
		}
		acks = acks[n:]
	}
	// Fresh tables have no statistics until autovacuum gets to them; a
	// running server's have.
	if _, err := db.Pool().Exec(ctx, `ANALYZE netflix_charges`); err != nil {
		b.Fatal(err)
	}
	if testing.Verbose() {
		b.Logf("setup: %d charges in %v: ingest %v, settle %v, acknowledge and analyze %v", total,
			time.Since(start).Round(time.Millisecond), ingested.Sub(start).Round(time.Millisecond),
			settled.Sub(ingested).Round(time.Millisecond), time.Since(settled).Round(time.Millisecond))
	}

	list := func(offset int) []netflix.Charge {
		cs, err := store.UnacknowledgedCharges(ctx, op.ID, netflix.ListRequest{Processed: true, Limit: limit, Offset: offset})
		if err != nil {
			b.Fatal(err)
		}
		return cs
	}
	// The list holds exactly the unacknowledged settled charges, oldest
	// received first.
	if n := len(list(unacknowledged - limit)); n != limit {
		b.Fatalf("the last page has %d charges, want %d", n, limit)
	}
	if n := len(list(unacknowledged)); n != 0 {
		b.Fatalf("%d charges past the last page", n)
	}
	first := list(0)
	for i, c := range first {
		if c.Status != netflix.Approved || i > 0 && c.ReceivedOn.Before(first[i-1].ReceivedOn) {
			b.Fatalf("charge %d of the page: %s received %v", i, c.Status, c.ReceivedOn)
		}
	}
	if testing.Verbose() {
		logPlan(b, db, op.ID, limit)
	}

	b.ReportAllocs()
	for b.Loop() {
		if cs := list(0); len(cs) != limit {
			b.Fatalf("%d charges, want %d", len(cs), limit)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*limit), "ns/charge")
}

// logPlan runs the list query (the store's, with every column) once under
// EXPLAIN ANALYZE and logs the plan with the server's own timing.
func logPlan(b *testing.B, db *postgres.DB, op int64, limit int) {
	b.Helper()
	ctx := context.Background()
	rows, err := db.Pool().Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM netflix_charges
		WHERE operator_id = $1 AND (status <> 'PENDING') = $2 AND unacknowledged
		ORDER BY received_on, id LIMIT $3 OFFSET $4`, op, true, limit, 0)
	if err != nil {
		b.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("plan:\n%s", strings.Join(plan, "\n"))
}
