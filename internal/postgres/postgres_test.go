package postgres_test

import (
	"testing"

	"carebridge/internal/postgres"
	"carebridge/internal/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := postgres.OpenTest(t)
		return storetest.Stores{
			Tenancy: postgres.NewTenancyStore(db),
			Netflix: postgres.NewNetflixStore(db),
			OCP:     postgres.NewOCPStore(db),

			FactoryReset: db.FactoryReset,
		}
	})
}
