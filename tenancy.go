package carebridge

import (
	"context"
	"time"
	"unicode"
	"unicode/utf8"
)

// Organisation is a tenant. Nothing of one organisation is visible to another.
type Organisation struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Operator is a service operator inside an organisation; CRM.COM calls it a
// group. Netflix data is scoped to an operator.
type Operator struct {
	ID              int64
	OrganisationID  int64
	Name            string
	AlternativeCode string // empty when the operator has none
	CreatedAt       time.Time
}

// User is a person or billing system that logs in to the CRM.COM face on
// behalf of one operator.
type User struct {
	ID             int64
	OrganisationID int64
	OperatorID     int64
	Username       string
	PasswordHash   string // argon2id, PHC string format
	CreatedAt      time.Time
}

// Caller is the identity behind a valid CRM.COM token: who acts, for which
// operator of which organisation.
type Caller struct {
	UserID         int64
	Username       string
	OperatorID     int64
	OrganisationID int64
}

// Session is a login: the SHA-256 of its token, never the token itself.
type Session struct {
	TokenHash []byte
	Caller    Caller
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TenancyStore keeps organisations, operators, users and login sessions.
// Each method is one transaction.
type TenancyStore interface {
	CreateOrganisation(ctx context.Context, name string, at time.Time) (Organisation, error)
	OrganisationByName(ctx context.Context, name string) (Organisation, error)
	CreateOperator(ctx context.Context, op Operator) (Operator, error)
	OperatorByName(ctx context.Context, organisationID int64, name string) (Operator, error)
	CreateUser(ctx context.Context, u User) (User, error)
	// UserForLogin finds a user by organisation name and username.
	UserForLogin(ctx context.Context, organisation, username string) (User, error)

	CreateSession(ctx context.Context, s Session) error
	// SessionByTokenHash returns the live session (not expired at now, not
	// released) or ENOTFOUND.
	SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	// ReleaseSession ends a live session; ENOTFOUND when there is none.
	ReleaseSession(ctx context.Context, hash []byte, now time.Time) error
	// DeleteSessionsEndedBefore removes sessions that expired or were
	// released before t, and reports how many.
	DeleteSessionsEndedBefore(ctx context.Context, t time.Time) (int64, error)

	// HasOrganisations tells whether any tenant exists (demo data loads only
	// into an empty database).
	HasOrganisations(ctx context.Context) (bool, error)

	// OperatorByGroup resolves a group identifier within an organisation;
	// ENOTFOUND when no operator of that organisation matches.
	OperatorByGroup(ctx context.Context, organisationID int64, g GroupIdentifier) (Operator, error)

	// PartnerSecret returns the secret the partner signs an operator's
	// charge reports with; ENOTFOUND for an unknown operator.
	PartnerSecret(ctx context.Context, operatorID int64) (string, error)
	// RotatePartnerSecret replaces it with a new random one and returns it.
	RotatePartnerSecret(ctx context.Context, operatorID int64) (string, error)

	// CreateAdminToken stores an admin token's hash under a unique name.
	CreateAdminToken(ctx context.Context, name string, hash []byte, at time.Time) error
	// AdminTokenName returns the name of the admin token with this hash;
	// ENOTFOUND when there is none.
	AdminTokenName(ctx context.Context, hash []byte) (string, error)
	// AuditLog returns the platform audit log, oldest first.
	AuditLog(ctx context.Context) ([]AuditEntry, error)

	// PluginStates returns the saved state of each plugin ever switched
	// (true: activated); a plugin not listed is activated. Every replica
	// of a server reads the same states.
	PluginStates(ctx context.Context) (map[string]bool, error)
	// SetPluginState saves a plugin's state.
	SetPluginState(ctx context.Context, callsign string, active bool) error

	// Setting returns the value saved under key; ENOTFOUND when none is.
	// Settings are facts about the database itself (such as whether it
	// holds the demo data) that every replica must read alike.
	Setting(ctx context.Context, key string) (string, error)
	// SettleSetting saves value under key unless a value is saved there
	// already, and returns the value that holds: the first writer wins, so
	// processes that decide at once still agree.
	SettleSetting(ctx context.Context, key, value string) (string, error)
	// WithMigrationLock runs fn holding the lock the schema migrations take
	// on PostgreSQL: servers starting at once on one database run it one
	// after another, and none migrates meanwhile. On SQLite it orders the
	// callers of one process only; between processes SettleSetting keeps a
	// decision single. fn's store calls are transactions of their own.
	WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error
}

// AuditEntry is one platform audit record.
type AuditEntry struct {
	At      time.Time
	Actor   string
	Action  string // e.g. "factory-reset"
	Subject string // e.g. the plugin's callsign
}

// ValidateName checks an organisation, operator, alternative code or user
// name: 1 to 100 printable characters, no surrounding spaces.
func ValidateName(field, s string) error {
	if s == "" {
		return Errorf(EMISSING, "%s is mandatory.", field)
	}
	if len([]rune(s)) > 100 {
		return Errorf(EINVALID, "%s is longer than 100 characters.", field)
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return Errorf(EINVALID, "%s must not begin or end with a space.", field)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8.", field)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return Errorf(EINVALID, "%s contains a control or invisible character.", field)
		}
	}
	return nil
}

// GroupIdentifier names an operator the CRM.COM way: by exactly one of its
// id, name or alternative code.
type GroupIdentifier struct {
	ID              string
	Name            string
	AlternativeCode string
}

// Validate checks that exactly one field is set.
func (g GroupIdentifier) Validate() error {
	n := 0
	for _, f := range []string{g.ID, g.Name, g.AlternativeCode} {
		if f != "" {
			n++
		}
	}
	switch n {
	case 0:
		return Errorf(EMISSING, "group_identifier needs one of id, name or alternative_code.")
	case 1:
		return nil
	}
	return Errorf(EINVALID, "group_identifier must give exactly one of id, name or alternative_code.")
}
