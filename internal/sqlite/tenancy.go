package sqlite

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

// insertID runs an INSERT … RETURNING id in a write transaction of its
// own.
func (s *TenancyStore) insertID(ctx context.Context, id *int64, query string, args ...any) error {
	return s.db.writeTx(ctx, func(tx *wtx) error { return tx.QueryRowContext(ctx, query, args...).Scan(id) })
}

// exec runs one statement in a write transaction of its own and tells how
// many rows it changed.
func (s *TenancyStore) exec(ctx context.Context, query string, args ...any) (n int64, err error) {
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}

func (s *TenancyStore) CreateOrganisation(ctx context.Context, name string, at time.Time) (carebridge.Organisation, error) {
	o := carebridge.Organisation{Name: name, CreatedAt: at.UTC().Truncate(time.Second)}
	err := s.insertID(ctx, &o.ID, storage.InsertOrganisation.SQLite, name, storage.Unix(at))
	return o, conflict(err, storage.OrganisationExists, name)
}

func (s *TenancyStore) OrganisationByName(ctx context.Context, name string) (carebridge.Organisation, error) {
	o, err := storage.ScanOrganisation(s.db.read.QueryRowContext(ctx, storage.OrganisationByName.SQLite, name))
	return o, notFound(err, storage.OrganisationNotFound, name)
}

// CreateOperator stores an operator with a fresh partner secret.
func (s *TenancyStore) CreateOperator(ctx context.Context, op carebridge.Operator) (carebridge.Operator, error) {
	args, err := storage.OperatorArgs(&op)
	if err != nil {
		return op, err
	}
	err = s.insertID(ctx, &op.ID, storage.InsertOperator.SQLite, args...)
	return op, conflict(err, storage.OperatorExists, op.Name, op.AlternativeCode)
}

func (s *TenancyStore) OperatorByName(ctx context.Context, organisationID int64, name string) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.read.QueryRowContext(ctx, storage.OperatorByName.SQLite, organisationID, name))
	return op, notFound(err, storage.OperatorNameNotFound, name)
}

// OperatorByGroup resolves a CRM.COM group identifier as the domain
// decides (carebridge.ResolveGroup).
func (s *TenancyStore) OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error) {
	return carebridge.ResolveGroup(ctx, s, organisationID, g)
}

func (s *TenancyStore) OperatorByID(ctx context.Context, organisationID, id int64) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.read.QueryRowContext(ctx, storage.OperatorByID.SQLite, organisationID, id))
	return op, notFound(err, storage.OperatorIDNotFound, id)
}

func (s *TenancyStore) OperatorByAlternativeCode(ctx context.Context, organisationID int64, code string) (carebridge.Operator, error) {
	op, err := storage.ScanOperator(s.db.read.QueryRowContext(ctx, storage.OperatorByAlternativeCode.SQLite, organisationID, code))
	return op, notFound(err, storage.AlternativeCodeNotFound, code)
}

func (s *TenancyStore) PartnerSecret(ctx context.Context, operatorID int64) (secret string, err error) {
	err = s.db.read.QueryRowContext(ctx, storage.PartnerSecret.SQLite, operatorID).Scan(&secret)
	return secret, notFound(err, storage.NoOperator, operatorID)
}

func (s *TenancyStore) RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error) {
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return "", err
	}
	n, err := s.exec(ctx, storage.SetPartnerSecret.SQLite, secret, operatorID)
	return secret, storage.RowChanged(n, err, storage.NoOperator, operatorID)
}

func (s *TenancyStore) CreateUser(ctx context.Context, u carebridge.User) (carebridge.User, error) {
	err := s.insertID(ctx, &u.ID, storage.InsertUser.SQLite, storage.UserArgs(&u)...)
	return u, conflict(err, storage.UserExists, u.Username)
}

func (s *TenancyStore) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	u, err := storage.ScanUser(s.db.read.QueryRowContext(ctx, storage.UserForLogin.SQLite, organisation, username))
	return u, notFound(err, storage.NoSuchUser)
}

func (s *TenancyStore) CreateSession(ctx context.Context, ss carebridge.Session) error {
	_, err := s.exec(ctx, storage.InsertSession.SQLite, storage.SessionArgs(ss)...)
	return err
}

func (s *TenancyStore) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (carebridge.Session, error) {
	ss := carebridge.Session{TokenHash: hash}
	err := storage.ScanSession(s.db.readRow(ctx, storage.SessionByTokenHash.SQLite, hash, storage.Unix(now)), &ss)
	return ss, notFound(err, storage.NoSession)
}

func (s *TenancyStore) ReleaseSession(ctx context.Context, hash []byte, now time.Time) error {
	n, err := s.exec(ctx, storage.ReleaseSession.SQLite, storage.Unix(now), hash)
	return storage.RowChanged(n, err, storage.NoSession)
}

func (s *TenancyStore) DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.exec(ctx, storage.DeleteSessionsEndedBefore.SQLite, storage.Unix(t))
}

func (s *TenancyStore) HasOrganisations(ctx context.Context) (exists bool, err error) {
	err = s.db.read.QueryRowContext(ctx, storage.HasOrganisations.SQLite).Scan(&exists)
	return exists, err
}

func (s *TenancyStore) CreateAdminToken(ctx context.Context, name string, hash []byte, at time.Time) error {
	_, err := s.exec(ctx, storage.InsertAdminToken.SQLite, name, hash, storage.Unix(at))
	return conflict(err, storage.AdminTokenExists, name)
}

func (s *TenancyStore) AdminTokenName(ctx context.Context, hash []byte) (name string, err error) {
	err = s.db.readRow(ctx, storage.AdminTokenName.SQLite, hash).Scan(&name)
	return name, notFound(err, storage.NoSuchAdminToken)
}

func (s *TenancyStore) AuditLog(ctx context.Context) ([]carebridge.AuditEntry, error) {
	rows, err := s.db.read.QueryContext(ctx, storage.AuditLog.SQLite)
	return collect(rows, err, nil, storage.ScanAuditEntry)
}

func (s *TenancyStore) PluginStates(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.read.QueryContext(ctx, storage.PluginStates.SQLite)
	states := map[string]bool{}
	return states, each(rows, err, storage.ScanPluginStateInto(states))
}

func (s *TenancyStore) SetPluginState(ctx context.Context, callsign string, active bool) error {
	_, err := s.exec(ctx, storage.SetPluginState.SQLite, callsign, active)
	return err
}
