package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/ocp"
)

// UpsertCustomers sends one statement per profile as one batch: a later
// profile of the batch with the same id wins.
func (t ocpTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, p := range ps {
		args, err := profileArgs(p, at)
		if err != nil {
			return err
		}
		batch.Queue(`INSERT INTO ocp_customers (`+customerColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11)
			ON CONFLICT (id) DO UPDATE SET nsid = excluded.nsid, name = excluded.name, email = excluded.email,
				enrollment_level = excluded.enrollment_level, can_view_ip = excluded.can_view_ip,
				can_access_ip = excluded.can_access_ip, is_rms = excluded.is_rms, ocp_services = excluded.ocp_services,
				device_subset_start_time = excluded.device_subset_start_time, updated_at = excluded.updated_at`,
			args...)
	}
	return t.tx.SendBatch(ctx, batch).Close()
}

// InsertCustomer inserts unless the id is taken, in one statement.
func (t ocpTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, `INSERT INTO ocp_customers (`+customerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11) ON CONFLICT (id) DO NOTHING`, p, at)
}

func (t ocpTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	return t.changeCustomer(ctx, `UPDATE ocp_customers SET nsid = $2, name = $3, email = $4, enrollment_level = $5,
		can_view_ip = $6, can_access_ip = $7, is_rms = $8, ocp_services = $9::text::jsonb, device_subset_start_time = $10,
		updated_at = $11 WHERE id = $1`, p, at)
}

// customerColumns are the columns of ocp_customers that a profile's
// writes set, in the order of profileArgs: $1 is the id, $11 updated_at.
const customerColumns = `id, nsid, name, email, enrollment_level, can_view_ip, can_access_ip, is_rms,
	ocp_services, device_subset_start_time, updated_at`

// profileArgs are a profile's values for customerColumns, so that every
// write of a profile stores it the same way; ocp_services is JSON text, to
// be cast with $9::text::jsonb.
func profileArgs(p ocp.Profile, at time.Time) ([]any, error) {
	services, err := json.Marshal(p.OCPServices)
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.NSID, p.Name, nullString(p.Email), string(p.EnrollmentLevel),
		p.CanViewIP, p.CanAccessIP, p.IsRMS, string(services), p.DeviceSubsetStartTime, unix(at)}, nil
}

// changeCustomer runs one statement on a profile's columns and tells
// whether it changed a row.
func (t ocpTx) changeCustomer(ctx context.Context, query string, p ocp.Profile, at time.Time) (bool, error) {
	args, err := profileArgs(p, at)
	if err != nil {
		return false, err
	}
	tag, err := t.tx.Exec(ctx, query, args...)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
