package bench

import (
	"testing"

	"carebridge/internal/postgres"
	"carebridge/internal/testdb"
)

// A --db URL may carry the pool settings the server reads
// (pool_max_conns=…); the vacuum after loading must accept it too.
func TestVacuumAcceptsPoolSettings(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresURL(t)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := vacuum(t.Context(), url+"&pool_max_conns=2"); err != nil {
		t.Fatal(err)
	}
}
