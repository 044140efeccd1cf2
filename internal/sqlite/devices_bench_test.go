package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/sqlite"
)

// BenchmarkRegister1000Devices measures one full register_devices call
// (1000 fresh ESNs, one transaction) for an operator that already holds
// 100 000 devices.
func BenchmarkRegister1000Devices(b *testing.B) {
	ctx := context.Background()
	db := open(b)
	at := time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)
	org, op := benchOperator(b, db, at)
	store := sqlite.NewNetflixStore(db)
	caller := carebridge.Caller{OperatorID: op.ID, OrganisationID: org.ID, Username: "bench"}

	const held, batch = 100_000, 1000
	esns := make([]string, batch)
	register := func(prefix string, n int) {
		for i := range esns {
			esns[i] = fmt.Sprintf("%s-%07d-%04d", prefix, n, i)
		}
		failed, err := store.RegisterDevices(ctx, op.ID, esns, caller, at)
		if err != nil {
			b.Fatal(err)
		}
		if len(failed) != 0 {
			b.Fatalf("%d of a fresh batch failed (first %q)", len(failed), failed[0])
		}
	}
	for n := range held / batch {
		register("HELD", n)
	}

	n := 0
	for b.Loop() {
		register("NEW", n)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*batch), "ns/device")
}
