package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/postgres"
	"carebridge/internal/storetest"
	"carebridge/internal/testdb"
)

// crash is the contract's crash test on PostgreSQL: the child's
// connections carry a name of their own, so that the test sees its claim
// locked against SKIP LOCKED, and, after the kill, waits until the server
// has noticed the dropped connection and rolled the claim back.
func crash(t *testing.T, db *postgres.DB, url string) storetest.Crash {
	appName := "carebridge-crash-" + fmt.Sprint(time.Now().UnixNano())
	return storetest.Crash{
		Where: testdb.WithParam(t, url, "application_name", appName),
		Claimed: func(t *testing.T, batch int) {
			t.Helper()
			// The claim is real: the child's batch is locked against other claims.
			if locked := lockedPending(t, db); locked != batch {
				t.Fatalf("%d PENDING charges locked by the child's claim, want its batch of %d", locked, batch)
			}
		},
		Killed: func(t *testing.T) {
			t.Helper()
			// The server notices the dropped connection on its own; until it
			// has, the dead child's locks stand and a claim would pass over
			// its batch.
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
		},
	}
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
