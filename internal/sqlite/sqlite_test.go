package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"carebridge/internal/sqlite"
	"carebridge/internal/storetest"
)

// open returns a migrated database in a fresh file.
func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := open(t)
		return storetest.Stores{Tenancy: sqlite.NewTenancyStore(db), Netflix: sqlite.NewNetflixStore(db), OCP: sqlite.NewOCPStore(db), FactoryReset: db.FactoryReset}
	})
}
