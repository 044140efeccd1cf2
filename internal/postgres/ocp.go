package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/ocp"
)

// OCPStore implements ocp.Store.
type OCPStore struct{ db *DB }

// NewOCPStore returns the OCP plugin's store on db.
func NewOCPStore(db *DB) *OCPStore { return &OCPStore{db: db} }

var _ ocp.Store = (*OCPStore)(nil)

// SaveCustomers upserts the profiles one statement each, sent as one batch
// in one transaction: a later profile of the batch with the same id wins,
// as it does in SQLite, and one bad profile rolls back the whole batch.
func (s *OCPStore) SaveCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
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
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, batch).Close()
	})
}

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

func (s *OCPStore) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.pool.QueryRow(ctx, profileSQL, id))
}

func (s *OCPStore) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	return scanProfile(s.db.pool.QueryRow(ctx, profileSQL+`
		AND EXISTS (SELECT 1 FROM ocp_application_customers g WHERE g.app_id = $2 AND g.customer_id = c.id)`, id, appID))
}

func (s *OCPStore) CreateApplication(ctx context.Context, a ocp.Application, customers []int64) (ocp.Application, error) {
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if len(customers) > 0 {
			if err := lockGrants(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ocp_applications (app_id, name, client_id, client_secret_hash, created_at)
			VALUES ($1, $2, $3, $4, $5)`, a.AppID, a.Name, a.ClientID, a.ClientSecretHash, unix(a.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return carebridge.Errorf(carebridge.ECONFLICT, "Application %d (or client id %q) already exists.", a.AppID, a.ClientID)
			}
			return err
		}
		return grantCustomers(ctx, tx, a.AppID, customers)
	})
	return a, err
}

// grantCustomers adds customer ids to an application in one set-based
// statement; ids already granted, or repeated in the list, are skipped.
func grantCustomers(ctx context.Context, tx pgx.Tx, appID int64, customers []int64) error {
	if len(customers) == 0 {
		return nil // a nil list is none; it would be bound as a NULL array
	}
	_, err := tx.Exec(ctx, `INSERT INTO ocp_application_customers (app_id, customer_id)
		SELECT $1, c FROM unnest($2::bigint[]) AS c ON CONFLICT DO NOTHING`, appID, customers)
	return err
}

func (s *OCPStore) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	var a ocp.Application
	var created int64
	err := s.db.pool.QueryRow(ctx, `SELECT app_id, name, client_id, client_secret_hash, created_at
		FROM ocp_applications WHERE client_id = $1`, clientID).Scan(&a.AppID, &a.Name, &a.ClientID, &a.ClientSecretHash, &created)
	a.CreatedAt = fromUnix(created)
	return a, notFound(err, "No such application.")
}

// lockGrants takes, before anything else, the lock that writing
// ocp_application_customers takes anyway (ROW EXCLUSIVE). A transaction
// that writes or key-share-locks ocp_applications and then writes grants
// would otherwise take its locks in the opposite order to a factory reset
// (FactoryReset locks ocp_application_customers, then ocp_applications) and
// could deadlock with it. Taken first, it makes a grant or revoke wait for
// a running reset, and then find the application gone: ENOTFOUND.
func lockGrants(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `LOCK TABLE ocp_application_customers IN ROW EXCLUSIVE MODE`)
	return err
}

// existingApp fails with ENOTFOUND when the application is unknown. It
// holds a key-share lock on the application's row until the transaction
// ends, so that the application cannot be deleted between this check and
// the grant or revoke that follows. Call lockGrants first.
func existingApp(ctx context.Context, tx pgx.Tx, appID int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM ocp_applications WHERE app_id = $1 FOR KEY SHARE`, appID).Scan(&one)
	return notFound(err, "Application %d does not exist.", appID)
}

func (s *OCPStore) Grant(ctx context.Context, appID int64, customers []int64) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockGrants(ctx, tx); err != nil {
			return err
		}
		if err := existingApp(ctx, tx, appID); err != nil {
			return err
		}
		return grantCustomers(ctx, tx, appID, customers)
	})
}

// Revoke deletes the grants and reads back the ids deleted in one
// statement, then lets decide keep or roll back the deletion. The deleted
// rows stay locked until the end, so a concurrent revoke of the same grant
// waits and then finds it gone.
func (s *OCPStore) Revoke(ctx context.Context, appID int64, customers []int64, decide ocp.RevokeFunc) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockGrants(ctx, tx); err != nil {
			return err
		}
		if err := existingApp(ctx, tx, appID); err != nil {
			return err
		}
		revoked := []int64{}
		if len(customers) > 0 { // a nil list would be bound as a NULL array
			rows, err := tx.Query(ctx, `DELETE FROM ocp_application_customers
				WHERE app_id = $1 AND customer_id = ANY($2::bigint[]) RETURNING customer_id`, appID, customers)
			if err != nil {
				return err
			}
			if revoked, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return err
			}
		}
		return decide(revoked)
	})
}

func (s *OCPStore) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT customer_id FROM ocp_application_customers WHERE app_id = $1 ORDER BY customer_id`, appID)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if ids == nil && err == nil {
		ids = []int64{}
	}
	return ids, err
}

func (s *OCPStore) Permitted(ctx context.Context, appID, customerID int64) (bool, error) {
	var ok bool
	err := s.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ocp_application_customers WHERE app_id = $1 AND customer_id = $2)`,
		appID, customerID).Scan(&ok)
	return ok, err
}

func (s *OCPStore) CreateToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	_, err := s.db.pool.Exec(ctx, `INSERT INTO ocp_tokens (token_hash, app_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, appID, unix(at), unix(expires))
	return err
}

func (s *OCPStore) TokenApplication(ctx context.Context, hash []byte, now time.Time) (int64, time.Time, error) {
	var appID, expires int64
	err := s.db.pool.QueryRow(ctx, `SELECT app_id, expires_at FROM ocp_tokens WHERE token_hash = $1 AND expires_at > $2`, hash, unix(now)).
		Scan(&appID, &expires)
	return appID, fromUnix(expires), notFound(err, "No such token.")
}

func (s *OCPStore) DeleteTokensExpiredBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM ocp_tokens WHERE expires_at < $1`, unix(t))
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
