package sqlite

import (
	"context"
	"testing"

	"carebridge/internal/migrations"
	"carebridge/internal/storetest"
)

// legacy returns the migrations of SQLite's own numbering, before the
// common one.
func legacy(t *testing.T) []migrations.Migration {
	t.Helper()
	p, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return p.Legacy
}

// earlierRelease migrates db as a release of SQLite's own numbering did,
// up to version.
func earlierRelease(t *testing.T, db *DB, version int) {
	t.Helper()
	if err := db.migrate(t.Context(), migrations.Plan{Steps: legacy(t)[:version]}); err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != version {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, version)
	}
}

func TestCustomerPricesBackfill(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	const version = 8
	if m := legacy(t)[version-1]; m.Name != "0008_customer_prices.sql" {
		t.Fatalf("migration %d is %s", version, m.Name)
	}
	earlierRelease(t, db, version-1)
	// Today's ingest and audit events write the report and reason columns
	// of later migrations: the old schema gets them for the writes and
	// loses them before migrating.
	reason := func(change string) {
		if _, err := db.write.ExecContext(ctx, `ALTER TABLE netflix_subscription_events `+change); err != nil {
			t.Fatal(err)
		}
	}
	reason("ADD COLUMN reason TEXT")
	report := func(change string) {
		if _, err := db.write.ExecContext(ctx, `ALTER TABLE netflix_charges `+change); err != nil {
			t.Fatal(err)
		}
	}
	report("ADD COLUMN report TEXT")
	// And today's users have a role, which the care plane's migration
	// adds later.
	if _, err := db.write.ExecContext(ctx, `ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'api'`); err != nil {
		t.Fatal(err)
	}
	// Today's writes publish to the operator's webhook endpoints, of
	// which the old schema has no table, and here there are none.
	endpoints := func(change string) {
		if _, err := db.write.ExecContext(ctx, change); err != nil {
			t.Fatal(err)
		}
	}
	endpoints(`CREATE TABLE webhook_endpoints (id BIGINT, operator_id BIGINT, events TEXT)`)
	stores := storetest.Stores{Tenancy: NewTenancyStore(db), Netflix: NewNetflixStore(db), OCP: NewOCPStore(db)}
	storetest.CustomerPricesBackfill(t, stores, func(ids ...int64) {
		report("DROP COLUMN report")
		if _, err := db.write.ExecContext(ctx, `ALTER TABLE users DROP COLUMN role`); err != nil {
			t.Fatal(err)
		}
		reason("DROP COLUMN reason")
		endpoints(`DROP TABLE webhook_endpoints`)
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
