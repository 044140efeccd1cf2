package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"carebridge/internal/ocp"
)

// OCPEngine is the OCP plugin's engine on SQLite (ocp.Engine): its
// queries, and the primitives its rules write with (ocp_customers.go,
// ocp_tx.go).
type OCPEngine struct{ db *DB }

// NewOCPStore returns the OCP plugin's store on db: this engine under the
// domain's rules.
func NewOCPStore(db *DB) *ocp.Records { return ocp.NewRecords(&OCPEngine{db: db}) }

var _ ocp.Engine = (*OCPEngine)(nil)

const profileSQL = `SELECT id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	ocp_services, device_subset_start_time FROM ocp_customers c WHERE id = ?1`

func scanProfile(row *sql.Row) (ocp.Profile, error) {
	var p ocp.Profile
	var email sql.NullString
	var services string
	err := row.Scan(&p.ID, &p.NSID, &p.Name, &email, &p.EnrollmentLevel, &p.CanViewIP, &p.CanAccessIP, &p.IsRMS, &services, &p.DeviceSubsetStartTime)
	if err != nil {
		return p, notFound(err, "Customer not found.")
	}
	p.Email = email.String
	return p, json.Unmarshal([]byte(services), &p.OCPServices)
}

func (s *OCPEngine) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.readRow(ctx, profileSQL, id))
}

func (s *OCPEngine) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.readRow(ctx, profileSQL+`
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = ?2 AND g.customer_id = c.id)`, id, appID))
}

func (s *OCPEngine) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = ?`, clientID).Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = fromUnix(created)
	return a, notFound(err, "No such application.")
}

// scanIDs reads a column of ids and closes rows; none is an empty list.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *OCPEngine) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	rows, err := s.db.readRows(ctx, `SELECT customer_id FROM ocp_application_customers WHERE app_id = ? ORDER BY customer_id`, appID)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func (s *OCPEngine) Permitted(ctx context.Context, appID, customerID int64) (bool, error) {
	var ok bool
	err := s.db.readRow(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = ? AND customer_id = ?)`,
		appID, customerID).Scan(&ok)
	return ok, err
}

func (s *OCPEngine) Token(ctx context.Context, hash []byte) (int64, time.Time, error) {
	var appID, expires int64
	err := s.db.readRow(ctx, `SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = ?`, hash).Scan(&appID, &expires)
	return appID, fromUnix(expires), notFound(err, "No such token.")
}
