package carebridge

import (
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

// User is a billing system that logs in to the CRM.COM face, or a care
// agent who logs in to the care plane, on behalf of one operator.
type User struct {
	ID             int64
	OrganisationID int64
	OperatorID     int64
	Username       string
	PasswordHash   string // argon2id, PHC string format
	Role           Role
	CreatedAt      time.Time
}

// Caller is the identity behind a valid session token: who acts, in which
// role, for which operator of which organisation.
type Caller struct {
	UserID         int64
	Username       string
	Role           Role
	OperatorID     int64
	OrganisationID int64
}

// Session is a login: the SHA-256 of its token, never the token itself.
type Session struct {
	TokenHash []byte
	Audience  Audience
	Caller    Caller
	CreatedAt time.Time
	ExpiresAt time.Time
	APIKeyID  int64 // the web API key it was opened with; 0: a password
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
