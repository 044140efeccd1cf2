package postgres

import (
	"context"
	"testing"

	"carebridge/internal/storetest"
)

// A reset of both plugins is one transaction: a delete that fails after
// the first plugin's deletes leaves everything as it was.
func TestFactoryResetTogether(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := context.Background()
	stores := storetest.Stores{Tenancy: NewTenancyStore(db), Netflix: NewNetflixStore(db), OCP: NewOCPStore(db), FactoryReset: db.FactoryReset}
	storetest.FactoryResetTogether(t, stores, func(table string) func() {
		if _, err := db.pool.Exec(ctx, `CREATE FUNCTION fail_reset() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.pool.Exec(ctx, `CREATE TRIGGER fail_reset BEFORE DELETE ON `+table+` FOR EACH STATEMENT EXECUTE FUNCTION fail_reset()`); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := db.pool.Exec(ctx, `DROP TRIGGER fail_reset ON `+table+`; DROP FUNCTION fail_reset()`); err != nil {
				t.Fatal(err)
			}
		}
	})
}
