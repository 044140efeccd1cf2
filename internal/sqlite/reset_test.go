package sqlite

import (
	"context"
	"testing"

	"carebridge/internal/storetest"
)

// A reset of both plugins is one transaction: a delete that fails after
// the first plugin's deletes leaves everything as it was.
func TestFactoryResetTogether(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stores := storetest.Stores{Tenancy: NewTenancyStore(db), Netflix: NewNetflixStore(db), OCP: NewOCPStore(db), FactoryReset: db.FactoryReset}
	storetest.FactoryResetTogether(t, stores, func(table string) func() {
		if _, err := db.write.ExecContext(ctx, `CREATE TRIGGER fail_reset BEFORE DELETE ON `+table+` BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := db.write.ExecContext(ctx, `DROP TRIGGER fail_reset`); err != nil {
				t.Fatal(err)
			}
		}
	})
}
