package storage

import (
	"context"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
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
	err := row.Scan(&u.ID, &u.OrganisationID, &u.OperatorID, &u.Username, &u.PasswordHash, &u.Role, &created)
	u.CreatedAt = FromUnix(created)
	return u, err
}

// ScanSession reads a row of sessionByTokenHashSQL into ss.
func ScanSession(row Scanner, ss *carebridge.Session) error {
	var created, expires int64
	c := &ss.Caller
	err := row.Scan(&c.UserID, &c.Username, &c.Role, &c.OperatorID, &c.OrganisationID, &ss.Audience, &created, &expires)
	ss.CreatedAt, ss.ExpiresAt = FromUnix(created), FromUnix(expires)
	return err
}

// AdminTokenColumns are the columns ScanAdminToken reads, in its order.
const AdminTokenColumns = `id, name, role, created_at, expires_at, last_used_at`

// ScanAdminToken reads AdminTokenColumns.
func ScanAdminToken(row Scanner) (carebridge.AdminToken, error) {
	var t carebridge.AdminToken
	var created int64
	var expires, used *int64
	err := row.Scan(&t.ID, &t.Name, &t.Role, &created, &expires, &used)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = FromUnix(created), FromNullUnix(expires), FromNullUnix(used)
	return t, err
}

// APIKeyColumns are the columns ScanAPIKey reads, in its order.
const APIKeyColumns = `id, user_id, label, created_at, last_used_at`

// ScanAPIKey reads APIKeyColumns.
func ScanAPIKey(row Scanner) (carebridge.APIKey, error) {
	var k carebridge.APIKey
	var created int64
	var used *int64
	err := row.Scan(&k.ID, &k.UserID, &k.Label, &created, &used)
	k.CreatedAt, k.LastUsedAt = FromUnix(created), FromNullUnix(used)
	return k, err
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

// SetChargeDecision sets who decides an operator's PENDING charges, and
// the operator's decision deadline, which must be valid
// (netflix.ValidateChargeDecision); ENOTFOUND for an unknown operator.
func (s *Tenancy) SetChargeDecision(ctx context.Context, operatorID int64, d netflix.ChargeDecision, deadline time.Duration) error {
	if err := netflix.ValidateChargeDecision(d, deadline); err != nil {
		return err
	}
	n, err := s.db.Exec(ctx, setChargeDecisionSQL, string(d), int64(deadline/time.Second), operatorID)
	return rowChanged(n, err, "Operator %d does not exist.", operatorID)
}

// ChargeDecision reads who decides an operator's PENDING charges, and
// the operator's decision deadline; ENOTFOUND for an unknown operator.
func (s *Tenancy) ChargeDecision(ctx context.Context, operatorID int64) (netflix.ChargeDecision, time.Duration, error) {
	var d string
	var seconds int64
	err := s.db.QueryRow(ctx, chargeDecisionSQL, operatorID).Scan(&d, &seconds)
	return netflix.ChargeDecision(d), time.Duration(seconds) * time.Second, NotFound(err, "Operator %d does not exist.", operatorID)
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
	if u.Role == "" {
		u.Role = carebridge.RoleAPI
	}
	u.ID, err = s.db.InsertID(ctx, insertUserSQL, u.OrganisationID, u.OperatorID, u.Username, u.PasswordHash, u.Role, Unix(u.CreatedAt))
	return u, conflict(s.db, err, "User %q already exists in this organisation.", u.Username)
}

// UserByName finds a user of an organisation, disabled or not.
func (s *Tenancy) UserByName(ctx context.Context, organisationID int64, username string) (carebridge.User, error) {
	u, err := ScanUser(s.db.QueryRow(ctx, userByNameSQL, organisationID, username))
	return u, NotFound(err, "User %q does not exist in this organisation.", username)
}

// SetUserRole gives a user another role and ends, at at, the user's live
// sessions of the audiences end names, in one transaction.
func (s *Tenancy) SetUserRole(ctx context.Context, userID int64, role carebridge.Role, at time.Time, end []carebridge.Audience) error {
	return s.db.Write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, setUserRoleSQL, role, userID)
		if err := rowChanged(n, err, "User %d does not exist.", userID); err != nil {
			return err
		}
		for _, a := range end {
			if _, err := q.Exec(ctx, releaseUserAudienceSessionsSQL, Unix(at), userID, a); err != nil {
				return err
			}
		}
		_, err = q.Exec(ctx, bumpCredentialsSQL)
		return err
	})
}

// DisableUser disables a user and ends every live session of theirs, in
// one transaction; ENOTFOUND when the user does not exist or is disabled
// already.
func (s *Tenancy) DisableUser(ctx context.Context, userID int64, at time.Time) error {
	return s.db.Write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, disableUserSQL, Unix(at), userID)
		if err := rowChanged(n, err, "User %d does not exist or is disabled already.", userID); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, releaseUserSessionsSQL, Unix(at), userID); err != nil {
			return err
		}
		_, err = q.Exec(ctx, bumpCredentialsSQL)
		return err
	})
}

// CredentialGeneration counts the changes that ended or narrowed a
// credential (SetUserRole, DisableUser, RevokeAdminToken, RevokeAPIKey), so that a
// server can tell, by reading one number, that it must check the
// credentials of its open connections again.
func (s *Tenancy) CredentialGeneration(ctx context.Context) (n int64, err error) {
	err = s.db.QueryRow(ctx, credentialGenerationSQL).Scan(&n)
	return n, err
}

func (s *Tenancy) UserForLogin(ctx context.Context, organisation, username string) (carebridge.User, error) {
	u, err := ScanUser(s.db.QueryRow(ctx, userForLoginSQL, organisation, username))
	return u, NotFound(err, "No such user.")
}

const noSession = "The token is unknown, expired or released."

// CreateSession stores a session; one opened with a web API key also
// records the key's use, in the same transaction.
func (s *Tenancy) CreateSession(ctx context.Context, ss carebridge.Session) error {
	args := []any{ss.TokenHash, ss.Caller.UserID, ss.Audience, Unix(ss.CreatedAt), Unix(ss.ExpiresAt), NullID(ss.APIKeyID)}
	if ss.APIKeyID == 0 {
		_, err := s.db.Exec(ctx, insertSessionSQL, args...)
		return err
	}
	return s.db.Write(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, insertSessionSQL, args...); err != nil {
			return err
		}
		_, err := q.Exec(ctx, touchAPIKeySQL, Unix(ss.CreatedAt), ss.APIKeyID)
		return err
	})
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

// CreateAdminToken stores an admin token under the hash of its secret.
func (s *Tenancy) CreateAdminToken(ctx context.Context, t carebridge.AdminToken, hash []byte) error {
	_, err := s.db.Exec(ctx, insertAdminTokenSQL, t.Name, hash, t.Role, Unix(t.CreatedAt), NullUnix(t.ExpiresAt))
	return conflict(s.db, err, "An admin token named %q already exists.", t.Name)
}

// AdminToken returns the admin token with this hash, expired or not;
// ENOTFOUND when there is none.
func (s *Tenancy) AdminToken(ctx context.Context, hash []byte) (carebridge.AdminToken, error) {
	t, err := ScanAdminToken(s.db.QueryRow(ctx, adminTokenSQL, hash))
	return t, NotFound(err, "No such admin token.")
}

// AdminTokens lists every admin token by name, never their secrets.
func (s *Tenancy) AdminTokens(ctx context.Context) ([]carebridge.AdminToken, error) {
	return collect(ctx, s.db, adminTokensSQL, []carebridge.AdminToken{}, ScanAdminToken)
}

// TouchAdminToken records that a token was used at at.
func (s *Tenancy) TouchAdminToken(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.Exec(ctx, touchAdminTokenSQL, Unix(at), id)
	return err
}

// RevokeAdminToken deletes an admin token; ENOTFOUND when there is none
// of that name.
func (s *Tenancy) RevokeAdminToken(ctx context.Context, name string) error {
	return s.db.Write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, deleteAdminTokenSQL, name)
		if err := rowChanged(n, err, "No admin token is named %q.", name); err != nil {
			return err
		}
		_, err = q.Exec(ctx, bumpCredentialsSQL)
		return err
	})
}

// CreateAPIKey stores a web API key of a user under the hash of its
// secret; ECONFLICT when the user has a key of that label.
func (s *Tenancy) CreateAPIKey(ctx context.Context, k carebridge.APIKey, hash []byte) (carebridge.APIKey, error) {
	k.CreatedAt = k.CreatedAt.UTC().Truncate(time.Second)
	var err error
	k.ID, err = s.db.InsertID(ctx, insertAPIKeySQL, k.UserID, k.Label, hash, Unix(k.CreatedAt))
	return k, conflict(s.db, err, "The user has a web API key labelled %q already.", k.Label)
}

// UserForAPIKey finds the user owning the web API key of this hash, and
// the key's id, when the user is enabled and holds role; ENOTFOUND
// otherwise.
func (s *Tenancy) UserForAPIKey(ctx context.Context, hash []byte, role carebridge.Role) (carebridge.User, int64, error) {
	var u carebridge.User
	var created, keyID int64
	err := s.db.QueryRow(ctx, userForAPIKeySQL, hash, role).Scan(&u.ID, &u.OrganisationID, &u.OperatorID, &u.Username, &u.PasswordHash, &u.Role, &created, &keyID)
	u.CreatedAt = FromUnix(created)
	return u, keyID, NotFound(err, "No such web API key.")
}

// APIKeys lists a user's web API keys by label, never their secrets.
func (s *Tenancy) APIKeys(ctx context.Context, userID int64) ([]carebridge.APIKey, error) {
	return collect(ctx, s.db, apiKeysSQL, []carebridge.APIKey{}, ScanAPIKey, userID)
}

// RevokeAPIKey deletes a user's web API key and ends, at at, the live
// sessions opened with it, in one transaction; ENOTFOUND when the user has
// no key of that label.
func (s *Tenancy) RevokeAPIKey(ctx context.Context, userID int64, label string, at time.Time) error {
	return s.db.Write(ctx, func(q Querier) error {
		if _, err := q.Exec(ctx, releaseAPIKeySessionsSQL, Unix(at), userID, label); err != nil {
			return err
		}
		n, err := q.Exec(ctx, deleteAPIKeySQL, userID, label)
		if err := rowChanged(n, err, "The user has no web API key labelled %q.", label); err != nil {
			return err
		}
		_, err = q.Exec(ctx, bumpCredentialsSQL)
		return err
	})
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
