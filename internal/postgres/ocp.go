package postgres

import (
	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// OCPEngine is the OCP plugin's engine on PostgreSQL (ocp.Engine): the
// queries both engines share (storage.OCPQueries), and the primitives its
// rules write with (ocp_customers.go, ocp_tx.go).
type OCPEngine struct {
	storage.OCPQueries
	db *DB
}

// NewOCPStore returns the OCP plugin's store on db: this engine under the
// domain's rules.
func NewOCPStore(db *DB) *ocp.Records {
	return ocp.NewRecords(&OCPEngine{OCPQueries: storage.OCPQueries{DB: sharedDB{db}}, db: db})
}

var _ ocp.Engine = (*OCPEngine)(nil)
