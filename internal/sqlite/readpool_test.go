package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
	"carebridge/internal/sqlite"
)

// Many concurrent reads on a cold statement cache must not deadlock the
// reader pool: a read transaction that held a connection while preparing
// a statement on the pool (which needs another connection) once hung every
// subscriptions/show under load.
func TestConcurrentReadsOnAColdCache(t *testing.T) {
	t.Parallel()
	db := open(t)
	ctx := context.Background()
	tenancy, store := sqlite.NewTenancyStore(db), sqlite.NewNetflixStore(db)
	org, err := tenancy.CreateOrganisation(ctx, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	op, err := tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "op", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateSubscription(ctx, netflix.NewSubscription{OperatorID: op.ID, At: time.Now(),
		Request: netflix.CreateRequest{Customer: "c1"}}); err != nil {
		t.Fatal(err)
	}
	// A second handle: its statement cache is cold.
	cold, err := sqlite.Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close()
	coldStore := sqlite.NewNetflixStore(cold)

	start := make(chan struct{})
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := coldStore.LatestSubscription(ctx, op.ID, "c1", time.Now().AddDate(0, -10, 0))
			errs <- err
		}()
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("64 concurrent reads did not finish: the reader pool is deadlocked")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
