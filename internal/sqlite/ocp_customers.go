package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"carebridge/internal/ocp"
)

func (t ocpTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	stmt, err := t.tx.Prepare(`INSERT INTO ocp_customers (` + customerColumns + `)
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
}

// InsertCustomer inserts unless the id is taken, in one statement.
func (t ocpTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, `INSERT INTO ocp_customers (`+customerColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING`, p, at)
}

func (t ocpTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, `UPDATE ocp_customers SET nsid = ?2, name = ?3, email = ?4, enrollment_level = ?5,
		can_view_ip = ?6, can_access_ip = ?7, is_rms = ?8, ocp_services = ?9, device_subset_start_time = ?10, updated_at = ?11
		WHERE id = ?1`, p, at)
}

// customerColumns are the columns of ocp_customers that a profile's
// writes set, in the order of profileArgs: ?1 is the id, ?11 updated_at.
const customerColumns = `id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	ocp_services, device_subset_start_time, updated_at`

// profileArgs are a profile's values for customerColumns, so that every
// write of a profile stores it the same way.
func profileArgs(p ocp.Profile, at time.Time) ([]any, error) {
	services, err := json.Marshal(p.OCPServices)
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.NSID, p.Name, nullString(p.Email), p.EnrollmentLevel,
		p.CanViewIP, p.CanAccessIP, p.IsRMS, string(services), p.DeviceSubsetStartTime, unix(at)}, nil
}

// changeCustomer runs one statement on a profile's columns and tells
// whether it changed a row.
func (t ocpTx) changeCustomer(ctx context.Context, query string, p ocp.Profile, at time.Time) (bool, error) {
	args, err := profileArgs(p, at)
	if err != nil {
		return false, err
	}
	return changedOne(t.tx.ExecContext(ctx, query, args...))
}

// changedOne tells whether a statement changed exactly one row.
func changedOne(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
