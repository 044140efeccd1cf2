package postgres

import (
	"context"
	"time"

	"carebridge/internal/ocp"
	"carebridge/internal/storage"
)

// OCPEngine is the OCP plugin's engine on PostgreSQL (ocp.Engine): its
// queries, and the primitives its rules write with (ocp_customers.go,
// ocp_tx.go).
type OCPEngine struct{ db *DB }

// NewOCPStore returns the OCP plugin's store on db: this engine under the
// domain's rules.
func NewOCPStore(db *DB) *ocp.Records { return ocp.NewRecords(&OCPEngine{db: db}) }

var _ ocp.Engine = (*OCPEngine)(nil)

func (s *OCPEngine) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	p, err := storage.ScanProfile(s.db.pool.QueryRow(ctx, storage.Profile.Postgres, id))
	return p, notFound(err, storage.CustomerNotFound)
}

func (s *OCPEngine) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	p, err := storage.ScanProfile(s.db.pool.QueryRow(ctx, storage.GrantedProfile.Postgres, id, appID))
	return p, notFound(err, storage.CustomerNotFound)
}

func (s *OCPEngine) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	a, err := storage.ScanApplication(s.db.pool.QueryRow(ctx, storage.ApplicationByClientID.Postgres, clientID))
	return a, notFound(err, storage.NoSuchApplication)
}

func (s *OCPEngine) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	rows, err := s.db.pool.Query(ctx, storage.PermittedCustomers.Postgres, appID)
	return collect(rows, err, []int64{}, storage.ScanID)
}

func (s *OCPEngine) Permitted(ctx context.Context, appID, customerID int64) (ok bool, err error) {
	err = s.db.pool.QueryRow(ctx, storage.Permitted.Postgres, appID, customerID).Scan(&ok)
	return ok, err
}

func (s *OCPEngine) Token(ctx context.Context, hash []byte) (int64, time.Time, error) {
	var appID, expires int64
	err := s.db.pool.QueryRow(ctx, storage.Token.Postgres, hash).Scan(&appID, &expires)
	return appID, storage.FromUnix(expires), notFound(err, storage.NoSuchToken)
}
