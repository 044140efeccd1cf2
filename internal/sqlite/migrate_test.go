package sqlite

import (
	"context"
	"testing"

	"carebridge/internal/storetest"
)

func TestCustomerPricesBackfill(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	const version = 8
	if ms[version-1].Name != "0008_customer_prices.sql" {
		t.Fatalf("migration %d is %s", version, ms[version-1].Name)
	}
	if err := db.migrate(ctx, ms[:version-1]); err != nil {
		t.Fatal(err)
	}
	// Today's ingest writes the report column of a later migration: the old
	// schema gets it for the ingest and loses it before migrating.
	report := func(change string) {
		if _, err := db.write.ExecContext(ctx, `ALTER TABLE netflix_charges `+change); err != nil {
			t.Fatal(err)
		}
	}
	report("ADD COLUMN report TEXT")
	stores := storetest.Stores{Tenancy: NewTenancyStore(db), Netflix: NewNetflixStore(db), OCP: NewOCPStore(db)}
	storetest.CustomerPricesBackfill(t, stores, func(ids ...int64) {
		report("DROP COLUMN report")
		for _, id := range ids {
			if _, err := db.write.ExecContext(ctx, `UPDATE netflix_charges SET status = 'APPROVED', set_as_approved_on = 0 WHERE id = ?`, id); err != nil {
				t.Fatal(err)
			}
		}
	}, func() {
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
