package storage

import (
	"time"

	"carebridge"
)

// ScanOrganisation reads a row of OrganisationByName.
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

// ScanUser reads a row of UserForLogin.
func ScanUser(row Scanner) (carebridge.User, error) {
	var u carebridge.User
	var created int64
	err := row.Scan(&u.ID, &u.OrganisationID, &u.OperatorID, &u.Username, &u.PasswordHash, &created)
	u.CreatedAt = FromUnix(created)
	return u, err
}

// ScanSession reads a row of SessionByTokenHash into ss.
func ScanSession(row Scanner, ss *carebridge.Session) error {
	var created, expires int64
	err := row.Scan(&ss.Caller.UserID, &ss.Caller.Username, &ss.Caller.OperatorID, &ss.Caller.OrganisationID, &created, &expires)
	ss.CreatedAt, ss.ExpiresAt = FromUnix(created), FromUnix(expires)
	return err
}

// ScanAuditEntry reads a row of AuditLog.
func ScanAuditEntry(row Scanner) (carebridge.AuditEntry, error) {
	var e carebridge.AuditEntry
	var at int64
	err := row.Scan(&at, &e.Actor, &e.Action, &e.Subject)
	e.At = FromUnix(at)
	return e, err
}

// AuditArgs are an entry's values for InsertAudit.
func AuditArgs(e carebridge.AuditEntry) []any {
	return []any{Unix(e.At), e.Actor, e.Action, e.Subject}
}

// OperatorArgs are a new operator's values for InsertOperator. It sets
// op's creation time to the whole second stored and draws the operator's
// partner secret.
func OperatorArgs(op *carebridge.Operator) ([]any, error) {
	op.CreatedAt = op.CreatedAt.UTC().Truncate(time.Second)
	secret, err := carebridge.NewPartnerSecret()
	if err != nil {
		return nil, err
	}
	return []any{op.OrganisationID, op.Name, NullString(op.AlternativeCode), secret, Unix(op.CreatedAt)}, nil
}

// UserArgs are a new user's values for InsertUser. It sets u's creation
// time to the whole second stored.
func UserArgs(u *carebridge.User) []any {
	u.CreatedAt = u.CreatedAt.UTC().Truncate(time.Second)
	return []any{u.OrganisationID, u.OperatorID, u.Username, u.PasswordHash, Unix(u.CreatedAt)}
}

// SessionArgs are a session's values for InsertSession.
func SessionArgs(ss carebridge.Session) []any {
	return []any{ss.TokenHash, ss.Caller.UserID, Unix(ss.CreatedAt), Unix(ss.ExpiresAt)}
}

// ScanPluginStateInto returns the row function (see Each) that reads a row
// of PluginStates into states.
func ScanPluginStateInto(states map[string]bool) func(Scanner) error {
	return func(row Scanner) error {
		var callsign string
		var active bool
		err := row.Scan(&callsign, &active)
		states[callsign] = active
		return err
	}
}

// RowChanged is nil when a statement changed a row (n > 0), err when it
// failed, and ENOTFOUND with the message when it changed none.
func RowChanged(n int64, err error, format string, args ...any) error {
	if err == nil && n == 0 {
		return carebridge.Errorf(carebridge.ENOTFOUND, format, args...)
	}
	return err
}
