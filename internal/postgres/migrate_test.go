package postgres

import (
	"strings"
	"sync"
	"testing"

	"carebridge/internal/migrations"
	"carebridge/internal/storetest"
	"carebridge/internal/testdb"
)

func openURL(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest returns a migrated database in a fresh schema.
func openTest(t *testing.T) *DB {
	t.Helper()
	db := openURL(t, testdb.PostgresURL(t))
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// latestVersion returns the version of the last step embedded.
func latestVersion(t *testing.T) int {
	t.Helper()
	p, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) == 0 {
		t.Fatal("no migrations embedded")
	}
	return p.Steps[len(p.Steps)-1].Version
}

// legacy returns the migrations of PostgreSQL's own numbering, before the
// common one.
func legacy(t *testing.T) []migrations.Migration {
	t.Helper()
	p, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return p.Legacy
}

// earlierRelease migrates db as a release of PostgreSQL's own numbering
// did, up to version.
func earlierRelease(t *testing.T, db *DB, version int) {
	t.Helper()
	if err := db.migrate(t.Context(), migrations.Plan{Steps: legacy(t)[:version]}); err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != version {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, version)
	}
}

// appliedVersions returns how many times each version is recorded.
func appliedVersions(t *testing.T, db *DB) map[int]int {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		out[v] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantAppliedOnce checks that a new database records the steps of the
// common numbering up to n, each once, and nothing else.
func wantAppliedOnce(t *testing.T, db *DB, n int) {
	t.Helper()
	got := appliedVersions(t, db)
	if len(got) != n-migrations.Baseline+1 {
		t.Fatalf("schema_migrations records versions %v, want %d…%d", got, migrations.Baseline, n)
	}
	for v := migrations.Baseline; v <= n; v++ {
		if got[v] != 1 {
			t.Fatalf("version %d recorded %d times, want once (all: %v)", v, got[v], got)
		}
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != n {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, n)
	}
}

func TestSchemaVersionOfEmptySchema(t *testing.T) {
	t.Parallel()
	db := openURL(t, testdb.PostgresURL(t))
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != 0 {
		t.Fatalf("SchemaVersion of an empty schema = %d, %v; want 0", v, err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	n := latestVersion(t)
	db := openURL(t, testdb.PostgresURL(t))
	for i := range 3 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
		wantAppliedOnce(t, db, n)
	}
}

// TestConcurrentMigrate starts four replicas on one new schema at once: the
// advisory lock lets one migrate while the others wait and then find
// nothing to do. Without it the migrations would run twice and fail.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	n := latestVersion(t)
	url := testdb.PostgresURL(t)
	const replicas = 4
	dbs := make([]*DB, replicas)
	for i := range dbs {
		dbs[i] = openURL(t, url)
	}
	start := make(chan struct{})
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Migrate: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	wantAppliedOnce(t, dbs[0], n)
}

func TestMigrateRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	n := latestVersion(t)
	db := openURL(t, testdb.PostgresURL(t))
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, n+1); err != nil {
		t.Fatal(err)
	}
	err := db.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on a schema at version %d = %v; want a refusal", n+1, err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != n+1 {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, n+1)
	}
}

func TestCustomerPricesBackfill(t *testing.T) {
	t.Parallel()
	db := openURL(t, testdb.PostgresURL(t))
	ctx := t.Context()
	const version = 3
	if m := legacy(t)[version-1]; m.Name != "0003_customer_prices.sql" {
		t.Fatalf("migration %d is %s", version, m.Name)
	}
	earlierRelease(t, db, version-1)
	// Today's ingest and audit events write the report and reason columns
	// of later migrations: the old schema gets them for the writes and
	// loses them before migrating.
	reason := func(change string) {
		if _, err := db.pool.Exec(ctx, `ALTER TABLE netflix_subscription_events `+change); err != nil {
			t.Fatal(err)
		}
	}
	reason("ADD COLUMN reason TEXT")
	report := func(change string) {
		if _, err := db.pool.Exec(ctx, `ALTER TABLE netflix_charges `+change); err != nil {
			t.Fatal(err)
		}
	}
	report("ADD COLUMN report TEXT")
	// And today's users have a role, which the care plane's migration
	// adds later.
	if _, err := db.pool.Exec(ctx, `ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'api'`); err != nil {
		t.Fatal(err)
	}
	// Today's writes publish to the operator's webhook endpoints, of
	// which the old schema has no table, and here there are none.
	endpoints := func(change string) {
		if _, err := db.pool.Exec(ctx, change); err != nil {
			t.Fatal(err)
		}
	}
	endpoints(`CREATE TABLE webhook_endpoints (id BIGINT, operator_id BIGINT, events TEXT)`)
	stores := storetest.Stores{Tenancy: NewTenancyStore(db), Netflix: NewNetflixStore(db), OCP: NewOCPStore(db)}
	storetest.CustomerPricesBackfill(t, stores, func(ids ...int64) {
		report("DROP COLUMN report")
		if _, err := db.pool.Exec(ctx, `ALTER TABLE users DROP COLUMN role`); err != nil {
			t.Fatal(err)
		}
		reason("DROP COLUMN reason")
		endpoints(`DROP TABLE webhook_endpoints`)
		for _, id := range ids {
			if _, err := db.pool.Exec(ctx, `UPDATE netflix_charges SET status = 'APPROVED', set_as_approved_on = 0 WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
	}, func() {
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
