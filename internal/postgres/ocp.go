package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
)

// OCPEngine is the OCP plugin's engine on PostgreSQL (ocp.Engine): its
// queries, and the primitives its rules write with (ocp_customers.go,
// ocp_tx.go).
type OCPEngine struct{ db *DB }

// NewOCPStore returns the OCP plugin's store on db: this engine under the
// domain's rules.
func NewOCPStore(db *DB) *ocp.Records { return ocp.NewRecords(&OCPEngine{db: db}) }

var _ ocp.Engine = (*OCPEngine)(nil)

const profileSQL = `SELECT id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	ocp_services::text, device_subset_start_time FROM ocp_customers c WHERE id = $1`

func scanProfile(row pgx.Row) (ocp.Profile, error) {
	var p ocp.Profile
	var email *string
	var level, services string
	err := row.Scan(&p.ID, &p.NSID, &p.Name, &email, &level, &p.CanViewIP, &p.CanAccessIP, &p.IsRMS, &services, &p.DeviceSubsetStartTime)
	if err != nil {
		return p, notFound(err, "Customer not found.")
	}
	p.Email, p.EnrollmentLevel = deref(email), ocp.Level(level)
	return p, json.Unmarshal([]byte(services), &p.OCPServices)
}

func (s *OCPEngine) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.pool.QueryRow(ctx, profileSQL, id))
}

func (s *OCPEngine) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.pool.QueryRow(ctx, profileSQL+`
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = $2 AND g.customer_id = c.id)`, id, appID))
}

func (s *OCPEngine) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := s.db.pool.QueryRow(ctx, `SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = $1`, clientID).Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = fromUnix(created)
	return a, notFound(err, "No such application.")
}

func (s *OCPEngine) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT customer_id FROM ocp_application_customers WHERE app_id = $1 ORDER BY customer_id`, appID)
	if err != nil {
		return nil, err
	}
	return collectIDs(rows)
}

// collectIDs reads a column of ids; none is an empty list, not nil.
func collectIDs(rows pgx.Rows) ([]int64, error) {
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if ids == nil && err == nil {
		ids = []int64{}
	}
	return ids, err
}

func (s *OCPEngine) Permitted(ctx context.Context, appID, customerID int64) (bool, error) {
	var ok bool
	err := s.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = $1 AND customer_id = $2)`,
		appID, customerID).Scan(&ok)
	return ok, err
}

func (s *OCPEngine) Token(ctx context.Context, hash []byte) (int64, time.Time, error) {
	var appID, expires int64
	err := s.db.pool.QueryRow(ctx, `SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = $1`, hash).Scan(&appID, &expires)
	return appID, fromUnix(expires), notFound(err, "No such token.")
}
