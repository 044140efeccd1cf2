package sqlite

import (
	"context"
	"database/sql"
	"time"

	"carebridge"
)

// TenancyStore is the platform data on this engine: tenants, sessions,
// admin tokens, the audit log, plugin states and settings. It satisfies
// the role each consumer defines (auth.Store, rpcapi.Platform, …).
type TenancyStore struct{ db *DB }

// NewTenancyStore returns the platform store on db.
func NewTenancyStore(db *DB) *TenancyStore { return &TenancyStore{db: db} }

func (s *TenancyStore) CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error) {
	o := carebridge.Organisation{Name: name, CreatedAt: at.UTC().Truncate(time.Second)}
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO organisations (name, created_at) VALUES (?, ?) RETURNING id`,
			name, unix(at)).Scan(&o.ID)
	})
	if isUniqueViolation(err) {
		return o, carebridge.Errorf(carebridge.ECONFLICT, "Organisation %q already exists.", name)
	}
	return o, err
}

func (s *TenancyStore) OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error) {
	var o carebridge.Organisation
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM organisations WHERE name = ?`, name).
		Scan(&o.ID, &o.Name, &created)
	o.CreatedAt = fromUnix(created)
	return o, notFound(err, "Organisation %q does not exist.", name)
}

// CreateOperator stores an operator with a fresh partner secret.
func (s *TenancyStore) CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error) {
	op.CreatedAt = op.CreatedAt.UTC().Truncate(time.Second)
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return op, err
	}
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO operators (organisation_id, name, alternative_code, partner_secret, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			op.OrganisationID, op.Name, nullString(op.AlternativeCode), secret, unix(op.CreatedAt)).Scan(&op.ID)
	})
	if isUniqueViolation(err) {
		return op, carebridge.Errorf(carebridge.ECONFLICT, "An operator named %q or with alternative code %q already exists in this organisation.", op.Name, op.AlternativeCode)
	}
	return op, err
}

const operatorColumns = `id, organisation_id, name, alternative_code, created_at`

func scanOperator(row *sql.Row) (carebridge.Operator, error) {
	var op carebridge.Operator
	var alt sql.NullString
	var created int64
	err := row.Scan(&op.ID, &op.OrganisationID, &op.Name, &alt, &created)
	op.AlternativeCode, op.CreatedAt = alt.String, fromUnix(created)
	return op, err
}

func (s *TenancyStore) OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error) {
	op, err := scanOperator(s.db.read.QueryRowContext(ctx, `SELECT `+operatorColumns+`
		FROM operators WHERE organisation_id = ? AND name = ?`, organisationID, name))
	return op, notFound(err, "Operator %q does not exist in this organisation.", name)
}

// OperatorByGroup resolves a CRM.COM group identifier as the domain
// decides (carebridge.ResolveGroup).
func (s *TenancyStore) OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error) {
	return carebridge.ResolveGroup(ctx, s, organisationID, g)
}

func (s *TenancyStore) OperatorByID(ctx context.Context, organisationID, id int64) (carebridge.Operator, error) {
	op, err := scanOperator(s.db.read.QueryRowContext(ctx, `SELECT `+operatorColumns+` FROM operators WHERE organisation_id = ? AND id = ?`, organisationID, id))
	return op, notFound(err, "Operator %d does not exist in this organisation.", id)
}

func (s *TenancyStore) OperatorByAlternativeCode(ctx context.Context, organisationID int64, code string) (carebridge.Operator, error) {
	op, err := scanOperator(s.db.read.QueryRowContext(ctx, `SELECT `+operatorColumns+` FROM operators WHERE organisation_id = ? AND alternative_code = ?`, organisationID, code))
	return op, notFound(err, "No operator has alternative code %q in this organisation.", code)
}

func (s *TenancyStore) PartnerSecret(ctx context.Context, operatorID int64) (string, error) {
	var secret string
	err := s.db.read.QueryRowContext(ctx, `SELECT partner_secret FROM operators WHERE id = ?`, operatorID).Scan(&secret)
	return secret, notFound(err, "Operator %d does not exist.", operatorID)
}

func (s *TenancyStore) RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error) {
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return "", err
	}
	return secret, s.db.writeTx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE operators SET partner_secret = ? WHERE id = ?`, secret, operatorID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return carebridge.Errorf(carebridge.ENOTFOUND, "Operator %d does not exist.", operatorID)
		}
		return nil
	})
}

func (s *TenancyStore) CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error) {
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Second)
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO users (organisation_id, operator_id, username, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			u.OrganisationID, u.OperatorID, u.Username, u.PasswordHash, unix(u.CreatedAt)).Scan(&u.ID)
	})
	if isUniqueViolation(err) {
		return u, carebridge.Errorf(carebridge.ECONFLICT, "User %q already exists in this organisation.", u.Username)
	}
	return u, err
}

func (s *TenancyStore) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	var u carebridge.User
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT u.id, u.organisation_id, u.operator_id, u.username, u.password_hash, u.created_at
		FROM users u JOIN organisations o ON o.id = u.organisation_id
		WHERE o.name = ? AND u.username = ?`, organisation, username).
		Scan(&u.ID, &u.OrganisationID, &u.OperatorID, &u.Username, &u.PasswordHash, &created)
	u.CreatedAt = fromUnix(created)
	return u, notFound(err, "No such user.")
}

func (s *TenancyStore) CreateSession(ctx context.Context, ss carebridge.Session) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			ss.TokenHash, ss.Caller.UserID, unix(ss.CreatedAt), unix(ss.ExpiresAt))
		return err
	})
}

func (s *TenancyStore) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error) {
	ss := carebridge.Session{TokenHash: hash}
	var created, expires int64
	err := s.db.readRow(ctx, `SELECT u.id, u.username, u.operator_id, u.organisation_id, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.released_at IS NULL AND s.expires_at > ?`, hash, unix(now)).
		Scan(&ss.Caller.UserID, &ss.Caller.Username, &ss.Caller.OperatorID, &ss.Caller.OrganisationID, &created, &expires)
	ss.CreatedAt, ss.ExpiresAt = fromUnix(created), fromUnix(expires)
	return ss, notFound(err, "The token is unknown, expired or released.")
}

func (s *TenancyStore) ReleaseSession(ctx context.Context, hash []byte, now time.Time) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET released_at = ?
			WHERE token_hash = ? AND released_at IS NULL AND expires_at > ?`, unix(now), hash, unix(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return carebridge.Errorf(carebridge.ENOTFOUND, "The token is unknown, expired or released.")
		}
		return nil
	})
}

func (s *TenancyStore) DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?1 OR released_at < ?1`, unix(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

func (s *TenancyStore) HasOrganisations(ctx context.Context) (bool, error) {
	var exists bool
	err := s.db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM organisations)`).Scan(&exists)
	return exists, err
}

func (s *TenancyStore) CreateAdminToken(ctx context.Context, name string, hash []byte, at time.Time) error {
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_tokens (name, token_hash, created_at) VALUES (?, ?, ?)`, name, hash, unix(at))
		return err
	})
	if isUniqueViolation(err) {
		return carebridge.Errorf(carebridge.ECONFLICT, "An admin token named %q already exists.", name)
	}
	return err
}

func (s *TenancyStore) AdminTokenName(ctx context.Context, hash []byte) (string, error) {
	var name string
	err := s.db.readRow(ctx, `SELECT name FROM admin_tokens WHERE token_hash = ?`, hash).Scan(&name)
	return name, notFound(err, "No such admin token.")
}

func (s *TenancyStore) AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT at, actor, action, subject FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []carebridge.AuditEntry
	for rows.Next() {
		var e carebridge.AuditEntry
		var at int64
		if err := rows.Scan(&at, &e.Actor, &e.Action, &e.Subject); err != nil {
			return nil, err
		}
		e.At = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *TenancyStore) PluginStates(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT callsign, active FROM plugin_states`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var callsign string
		var active bool
		if err := rows.Scan(&callsign, &active); err != nil {
			return nil, err
		}
		out[callsign] = active
	}
	return out, rows.Err()
}

func (s *TenancyStore) SetPluginState(ctx context.Context, callsign string, active bool) error {
	return s.db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO plugin_states (callsign, active) VALUES (?, ?)
			ON CONFLICT (callsign) DO UPDATE SET active = excluded.active`, callsign, active)
		return err
	})
}
