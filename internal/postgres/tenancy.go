package postgres

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/storage"
)

// TenancyStore is the platform data on this engine: tenants, sessions,
// admin tokens, the audit log, plugin states and settings. It satisfies
// the role each consumer defines (auth.Store, rpcapi.Platform, …).
type TenancyStore struct{ db *DB }

// NewTenancyStore returns the platform store on db.
func NewTenancyStore(db *DB) *TenancyStore { return &TenancyStore{db: db} }

func (s *TenancyStore) CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error) {
	o := carebridge.Organisation{Name: name, CreatedAt: at.UTC().Truncate(time.Second)}
	err := s.db.pool.QueryRow(ctx, storage.InsertOrganisation.Postgres, name, storage.Unix(at)).Scan(&o.ID)
	return o, conflict(err, storage.OrganisationExists, name)
}

func (s *TenancyStore) OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error) {
	o, err := storage.ScanOrganisation(s.db.pool.QueryRow(ctx, storage.OrganisationByName.Postgres, name))
	return o, notFound(err, storage.OrganisationNotFound, name)
}

// CreateOperator stores an operator with a fresh partner secret.
func (s *TenancyStore) CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error) {
	args, err := storage.OperatorArgs(&op)
	if err != nil {
		return op, err
	}
	err = s.db.pool.QueryRow(ctx, storage.InsertOperator.Postgres, args...).Scan(&op.ID)
	return op, conflict(err, storage.OperatorExists, op.Name, op.AlternativeCode)
}

func (s *TenancyStore) OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.pool.QueryRow(ctx, storage.OperatorByName.Postgres, organisationID, name))
	return op, notFound(err, storage.OperatorNameNotFound, name)
}

// OperatorByGroup resolves a CRM.COM group identifier as the domain
// decides (carebridge.ResolveGroup).
func (s *TenancyStore) OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error) {
	return carebridge.ResolveGroup(ctx, s, organisationID, g)
}

func (s *TenancyStore) OperatorByID(ctx context.Context, organisationID, id int64) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.pool.QueryRow(ctx, storage.OperatorByID.Postgres, organisationID, id))
	return op, notFound(err, storage.OperatorIDNotFound, id)
}

func (s *TenancyStore) OperatorByAlternativeCode(ctx context.Context, organisationID int64, code string) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.pool.QueryRow(ctx, storage.OperatorByAlternativeCode.Postgres, organisationID, code))
	return op, notFound(err, storage.AlternativeCodeNotFound, code)
}

func (s *TenancyStore) PartnerSecret(ctx context.Context, operatorID int64) (secret string, err error) {
	err = s.db.pool.QueryRow(ctx, storage.PartnerSecret.Postgres, operatorID).Scan(&secret)
	return secret, notFound(err, storage.NoOperator, operatorID)
}

func (s *TenancyStore) RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error) {
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return "", err
	}
	n, err := changed(s.db.pool.Exec(ctx, storage.SetPartnerSecret.Postgres, secret, operatorID))
	return secret, storage.RowChanged(n, err, storage.NoOperator, operatorID)
}

// CreateUser stores a user. The composite foreign key (operator_id,
// organisation_id) refuses an operator of another organisation.
func (s *TenancyStore) CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error) {
	err := s.db.pool.QueryRow(ctx, storage.InsertUser.Postgres, storage.UserArgs(&u)...).Scan(&u.ID)
	return u, conflict(err, storage.UserExists, u.Username)
}

func (s *TenancyStore) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	u, err := storage.ScanUser(s.db.pool.QueryRow(ctx, storage.UserForLogin.Postgres, organisation, username))
	return u, notFound(err, storage.NoSuchUser)
}

func (s *TenancyStore) CreateSession(ctx context.Context, ss carebridge.Session) error {
	_, err := s.db.pool.Exec(ctx, storage.InsertSession.Postgres, storage.SessionArgs(ss)...)
	return err
}

func (s *TenancyStore) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error) {
	ss := carebridge.Session{TokenHash: hash}
	err := storage.ScanSession(s.db.pool.QueryRow(ctx, storage.SessionByTokenHash.Postgres, hash, storage.Unix(now)), &ss)
	return ss, notFound(err, storage.NoSession)
}

func (s *TenancyStore) ReleaseSession(ctx context.Context, hash []byte, now time.Time) error {
	n, err := changed(s.db.pool.Exec(ctx, storage.ReleaseSession.Postgres, storage.Unix(now), hash))
	return storage.RowChanged(n, err, storage.NoSession)
}

func (s *TenancyStore) DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	return changed(s.db.pool.Exec(ctx, storage.DeleteSessionsEndedBefore.Postgres, storage.Unix(t)))
}

func (s *TenancyStore) HasOrganisations(ctx context.Context) (exists bool, err error) {
	err = s.db.pool.QueryRow(ctx, storage.HasOrganisations.Postgres).Scan(&exists)
	return exists, err
}

func (s *TenancyStore) CreateAdminToken(ctx context.Context, name string, hash []byte, at time.Time) error {
	_, err := s.db.pool.Exec(ctx, storage.InsertAdminToken.Postgres, name, hash, storage.Unix(at))
	return conflict(err, storage.AdminTokenExists, name)
}

func (s *TenancyStore) AdminTokenName(ctx context.Context, hash []byte) (name string, err error) {
	err = s.db.pool.QueryRow(ctx, storage.AdminTokenName.Postgres, hash).Scan(&name)
	return name, notFound(err, storage.NoSuchAdminToken)
}

func (s *TenancyStore) AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error) {
	rows, err := s.db.pool.Query(ctx, storage.AuditLog.Postgres)
	return collect(rows, err, nil, storage.ScanAuditEntry)
}

func (s *TenancyStore) PluginStates(ctx context.Context) (map[string]bool, error) {
	states := map[string]bool{}
	rows, err := s.db.pool.Query(ctx, storage.PluginStates.Postgres)
	return states, each(rows, err, storage.ScanPluginStateInto(states))
}

func (s *TenancyStore) SetPluginState(ctx context.Context, callsign string, active bool) error {
	_, err := s.db.pool.Exec(ctx, storage.SetPluginState.Postgres, callsign, active)
	return err
}
