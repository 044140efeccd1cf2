package storage

import (
	"context"
	"time"

	"carebridge"
)

// ScanOrganisation reads a row of organisationByNameSQL.
func ScanOrganisation(row Scanner) (carebridge.Organisation, error) {
	var o carebridge.Organisation
	var created int64
	err := row.Scan(&o.ID, &o.Name, &created)
	o.CreatedAt = FromUnix(created)
	return o, err
}

// OperatorColumns are the columns ScanOperator reads, in its order.
const OperatorColumns = `id, organisation_id, name, alternative_code, created_at`

// ScanOperator reads OperatorColumns.
func ScanOperator(row Scanner) (carebridge.Operator, error) {
	var op carebridge.Operator
	var alt *string
	var created int64
	err := row.Scan(&op.ID, &op.OrganisationID, &op.Name, &alt, &created)
	op.AlternativeCode, op.CreatedAt = Deref(alt), FromUnix(created)
	return op, err
}

// ScanUser reads a row of userForLoginSQL.
func ScanUser(row Scanner) (carebridge.User, error) {
	var u carebridge.User
	var created int64
	err := row.Scan(&u.ID, &u.OrganisationID, &u.OperatorID, &u.Username, &u.PasswordHash, &created)
	u.CreatedAt = FromUnix(created)
	return u, err
}

// ScanSession reads a row of sessionByTokenHashSQL into ss.
func ScanSession(row Scanner, ss *carebridge.Session) error {
	var created, expires int64
	err := row.Scan(&ss.Caller.UserID, &ss.Caller.Username, &ss.Caller.OperatorID, &ss.Caller.OrganisationID, &created, &expires)
	ss.CreatedAt, ss.ExpiresAt = FromUnix(created), FromUnix(expires)
	return err
}

// ScanAuditEntry reads a row of auditLogSQL.
func ScanAuditEntry(row Scanner) (carebridge.AuditEntry, error) {
	var e carebridge.AuditEntry
	var at int64
	err := row.Scan(&at, &e.Actor, &e.Action, &e.Subject)
	e.At = FromUnix(at)
	return e, err
}

// AuditArgs are an entry's values for insertAuditSQL.
func AuditArgs(e carebridge.AuditEntry) []any {
	return []any{Unix(e.At), e.Actor, e.Action, e.Subject}
}

// Tenancy is the platform store's data on an engine: tenants, sessions,
// admin tokens, the audit log, plugin states and settings. Each engine's
// TenancyStore embeds it and adds what only it can do.
type Tenancy struct{ db DB }

// NewTenancy returns the platform store on db.
func NewTenancy(db DB) *Tenancy { return &Tenancy{db: db} }

func (s *Tenancy) CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error) {
	o := carebridge.Organisation{Name: name, CreatedAt: at.UTC().Truncate(time.Second)}
	var err error
	o.ID, err = s.db.InsertID(ctx, insertOrganisationSQL, name, Unix(at))
	return o, conflict(s.db, err, "Organisation %q already exists.", name)
}

func (s *Tenancy) OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error) {
	o, err := ScanOrganisation(s.db.QueryRow(ctx, organisationByNameSQL, name))
	return o, NotFound(err, "Organisation %q does not exist.", name)
}

func (s *Tenancy) HasOrganisations(ctx context.Context) (exists bool, err error) {
	err = s.db.QueryRow(ctx, hasOrganisationsSQL).Scan(&exists)
	return exists, err
}

// CreateOperator stores an operator with a fresh partner secret.
func (s *Tenancy) CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error) {
	op.CreatedAt = op.CreatedAt.UTC().Truncate(time.Second)
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return op, err
	}
	op.ID, err = s.db.InsertID(ctx, insertOperatorSQL, op.OrganisationID, op.Name, NullString(op.AlternativeCode), secret, Unix(op.CreatedAt))
	return op, conflict(s.db, err, "An operator named %q or with alternative code %q already exists in this organisation.", op.Name, op.AlternativeCode)
}

func (s *Tenancy) OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error) {
	op, err := ScanOperator(s.db.QueryRow(ctx, operatorByNameSQL, organisationID, name))
	return op, NotFound(err, "Operator %q does not exist in this organisation.", name)
}

// OperatorByGroup resolves a CRM.COM group identifier as the domain
// decides (carebridge.ResolveGroup).
func (s *Tenancy) OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error) {
	return carebridge.ResolveGroup(ctx, s, organisationID, g)
}

func (s *Tenancy) OperatorByID(ctx context.Context, organisationID, id int64) (carebridge.Operator, error) {
	op, err := ScanOperator(s.db.QueryRow(ctx, operatorByIDSQL, organisationID, id))
	return op, NotFound(err, "Operator %d does not exist in this organisation.", id)
}

func (s *Tenancy) OperatorByAlternativeCode(ctx context.Context, organisationID int64, code string) (carebridge.Operator, error) {
	op, err := ScanOperator(s.db.QueryRow(ctx, operatorByAlternativeCodeSQL, organisationID, code))
	return op, NotFound(err, "No operator has alternative code %q in this organisation.", code)
}

func (s *Tenancy) PartnerSecret(ctx context.Context, operatorID int64) (secret string, err error) {
	err = s.db.QueryRow(ctx, partnerSecretSQL, operatorID).Scan(&secret)
	return secret, NotFound(err, "Operator %d does not exist.", operatorID)
}

func (s *Tenancy) RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error) {
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return "", err
	}
	n, err := s.db.Exec(ctx, setPartnerSecretSQL, secret, operatorID)
	if err = rowChanged(n, err, "Operator %d does not exist.", operatorID); err != nil {
		return "", err
	}
	return secret, nil
}

// CreateUser stores a user. The composite foreign key (operator_id,
// organisation_id) refuses an operator of another organisation.
func (s *Tenancy) CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error) {
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Second)
	var err error
	u.ID, err = s.db.InsertID(ctx, insertUserSQL, u.OrganisationID, u.OperatorID, u.Username, u.PasswordHash, Unix(u.CreatedAt))
	return u, conflict(s.db, err, "User %q already exists in this organisation.", u.Username)
}

func (s *Tenancy) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	u, err := ScanUser(s.db.QueryRow(ctx, userForLoginSQL, organisation, username))
	return u, NotFound(err, "No such user.")
}

const noSession = "The token is unknown, expired or released."

func (s *Tenancy) CreateSession(ctx context.Context, ss carebridge.Session) error {
	_, err := s.db.Exec(ctx, insertSessionSQL, ss.TokenHash, ss.Caller.UserID, Unix(ss.CreatedAt), Unix(ss.ExpiresAt))
	return err
}

func (s *Tenancy) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error) {
	ss := carebridge.Session{TokenHash: hash}
	err := ScanSession(s.db.QueryRow(ctx, sessionByTokenHashSQL, hash, Unix(now)), &ss)
	return ss, NotFound(err, noSession)
}

func (s *Tenancy) ReleaseSession(ctx context.Context, hash []byte, now time.Time) error {
	n, err := s.db.Exec(ctx, releaseSessionSQL, Unix(now), hash)
	return rowChanged(n, err, noSession)
}

func (s *Tenancy) DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.db.Exec(ctx, deleteSessionsEndedBeforeSQL, Unix(t))
}

func (s *Tenancy) CreateAdminToken(ctx context.Context, name string, hash []byte, at time.Time) error {
	_, err := s.db.Exec(ctx, insertAdminTokenSQL, name, hash, Unix(at))
	return conflict(s.db, err, "An admin token named %q already exists.", name)
}

func (s *Tenancy) AdminTokenName(ctx context.Context, hash []byte) (name string, err error) {
	err = s.db.QueryRow(ctx, adminTokenNameSQL, hash).Scan(&name)
	return name, NotFound(err, "No such admin token.")
}

func (s *Tenancy) AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error) {
	return collect(ctx, s.db, auditLogSQL, nil, ScanAuditEntry)
}

func (s *Tenancy) PluginStates(ctx context.Context) (map[string]bool, error) {
	states := map[string]bool{}
	err := s.db.Query(ctx, pluginStatesSQL, func(row Scanner) error {
		var callsign string
		var active bool
		err := row.Scan(&callsign, &active)
		states[callsign] = active
		return err
	})
	return states, err
}

func (s *Tenancy) SetPluginState(ctx context.Context, callsign string, active bool) error {
	_, err := s.db.Exec(ctx, setPluginStateSQL, callsign, active)
	return err
}

// Setting returns the value saved under key; ENOTFOUND when none is.
func (s *Tenancy) Setting(ctx context.Context, key string) (string, error) {
	v, err := ScanString(s.db.QueryRow(ctx, settingSQL, key))
	return v, NotFound(err, "settingSQL %q is not saved.", key)
}

// SettleSetting saves value under key unless a value is there already and
// returns the value that holds. The insert waits for a transaction
// inserting the same key (on SQLite, the write lock orders them); the read
// that follows sees whichever row was committed.
func (s *Tenancy) SettleSetting(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.db.Write(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, insertNewSettingSQL, key, value); err != nil {
			return err
		}
		return q.QueryRow(ctx, settingSQL, key).Scan(&v)
	})
	return v, err
}
