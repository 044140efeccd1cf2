package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
)

// OCPStore implements ocp.Store.
type OCPStore struct{ db *DB }

// NewOCPStore returns the OCP plugin's store on db.
func NewOCPStore(db *DB) *OCPStore { return &OCPStore{db: db} }

var _ ocp.Store = (*OCPStore)(nil)

func (s *OCPStore) SaveCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		stmt, err := tx.Prepare(`INSERT INTO ocp_customers (` + customerColumns + `)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
			ON CONFLICT (id) DO UPDATE SET nsid = excluded.nsid, name = excluded.name, email = excluded.email,
				enrollment_level = excluded.enrollment_level, can_view_ip = excluded.can_view_ip,
				can_access_ip = excluded.can_access_ip, is_rms = excluded.is_rms, ocp_services = excluded.ocp_services,
				device_subset_start_time = excluded.device_subset_start_time, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range ps {
			args, err := profileArgs(p, at)
			if err != nil {
				return err
			}
			if _, err := stmt.Exec(args...); err != nil {
				return err
			}
		}
		return nil
	})
}

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

func (s *OCPStore) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.readRow(ctx, profileSQL, id))
}

func (s *OCPStore) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.readRow(ctx, profileSQL+`
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = ?2 AND g.customer_id = c.id)`, id, appID))
}

func (s *OCPStore) CreateApplication(ctx context.Context, a ocp.Application, customers []int64) (ocp.Application, error) {
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
			VALUES (?, ?, ?, ?, ?)`, a.AppID, a.Name, a.ClientID, a.ClientSecretHash, unix(a.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return carebridge.Errorf(carebridge.ECONFLICT, "Application %d (or client id %q) already exists.", a.AppID, a.ClientID)
			}
			return err
		}
		return grant(ctx, tx, a.AppID, customers)
	})
	return a, err
}

// grant adds customer ids to an application in one set-based statement.
func grant(ctx context.Context, tx *wtx, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // json.Marshal(nil) is null, which json_each reads as one NULL row
	}
	ids, err := json.Marshal(customers)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT ?, value FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`, appID, string(ids))
	return err
}

func (s *OCPStore) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = ?`, clientID).Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = fromUnix(created)
	return a, notFound(err, "No such application.")
}

// existingApp fails with ENOTFOUND when the application is unknown.
func existingApp(ctx context.Context, tx *wtx, appID int64) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_applications WHERE app_id = ?)`, appID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return carebridge.Errorf(carebridge.ENOTFOUND, "Application %d does not exist.", appID)
	}
	return nil
}

func (s *OCPStore) Grant(ctx context.Context, appID int64, customers []int64) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		if err := existingApp(ctx, tx, appID); err != nil {
			return err
		}
		return grant(ctx, tx, appID, customers)
	})
}

// Revoke deletes the grants and reads back the ids deleted in one
// statement, then lets decide keep or roll back the deletion.
func (s *OCPStore) Revoke(ctx context.Context, appID int64, customers []int64, decide ocp.RevokeFunc) error {
	ids, err := json.Marshal(customers)
	if err != nil {
		return err
	}
	return s.db.writeTx(ctx, func(tx *wtx) error {
		if err := existingApp(ctx, tx, appID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM ocp_application_customers
			WHERE app_id = ? AND customer_id IN (SELECT value FROM json_each(?)) RETURNING customer_id`, appID, string(ids))
		if err != nil {
			return err
		}
		revoked, err := scanIDs(rows)
		if err != nil {
			return err
		}
		return decide(revoked)
	})
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

func (s *OCPStore) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	rows, err := s.db.readRows(ctx, `SELECT customer_id FROM ocp_application_customers WHERE app_id = ? ORDER BY customer_id`, appID)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func (s *OCPStore) Permitted(ctx context.Context, appID, customerID int64) (bool, error) {
	var ok bool
	err := s.db.readRow(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = ? AND customer_id = ?)`,
		appID, customerID).Scan(&ok)
	return ok, err
}

func (s *OCPStore) CreateToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash, appID, unix(at), unix(expires))
		return err
	})
}

func (s *OCPStore) TokenApplication(ctx context.Context, hash []byte, now time.Time) (int64, time.Time, error) {
	var appID, expires int64
	err := s.db.readRow(ctx, `SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = ? AND expires_at > ?`, hash, unix(now)).
		Scan(&appID, &expires)
	return appID, fromUnix(expires), notFound(err, "No such token.")
}

func (s *OCPStore) DeleteTokensExpiredBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ocp_tokens WHERE expires_at < ?`, unix(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
