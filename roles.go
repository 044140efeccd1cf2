package carebridge

import "time"

// Role is what a user or an admin token may do. Users are api, care or
// supervisor; admin tokens are ops or admin. What each role may call on
// the JSON-RPC plane is decided in one table (internal/rpcapi).
type Role string

const (
	RoleAPI        Role = "api"        // the billing system, on the CRM.COM face
	RoleCare       Role = "care"       // a care agent, on the care plane
	RoleSupervisor Role = "supervisor" // a care agent who may also cancel
	RoleOps        Role = "ops"        // an admin token that switches plugins
	RoleAdmin      Role = "admin"      // an admin token that may do everything
)

// UserRoles and AdminRoles are the roles each kind of credential may hold.
var (
	UserRoles  = []Role{RoleAPI, RoleCare, RoleSupervisor}
	AdminRoles = []Role{RoleOps, RoleAdmin}
)

// ParseRole reads a role of those allowed, naming the field when it is
// none of them.
func ParseRole(field, s string, allowed []Role) (Role, error) {
	for _, r := range allowed {
		if string(r) == s {
			return r, nil
		}
	}
	names := ""
	for i, r := range allowed {
		if i > 0 {
			names += ", "
		}
		names += string(r)
	}
	return "", Errorf(EINVALID, "%s must be one of %s; got %q.", field, names, s)
}

// Audience is where a session's token is accepted.
type Audience string

const (
	AudienceCRM  Audience = "crm"  // the CRM.COM face
	AudienceCare Audience = "care" // the care plane
)

// Admits tells whether a user of role may hold a session of the audience:
// api users on the CRM.COM face, care agents on the care plane. A role is
// read again on every use of a session, and a user given another role
// loses the sessions its new role does not admit (AudiencesRefusing).
func (a Audience) Admits(r Role) bool {
	switch a {
	case AudienceCRM:
		return r == RoleAPI
	case AudienceCare:
		return r == RoleCare || r == RoleSupervisor
	}
	return false
}

// Audiences are every audience a session may be opened for.
var Audiences = []Audience{AudienceCRM, AudienceCare}

// AudiencesRefusing lists the audiences that do not admit role: a user
// given that role loses the sessions it holds there, for good.
func AudiencesRefusing(r Role) []Audience {
	var out []Audience
	for _, a := range Audiences {
		if !a.Admits(r) {
			out = append(out, a)
		}
	}
	return out
}

// AdminToken is a credential of the JSON-RPC plane held by an operations
// person or a tool; only the SHA-256 of its secret is stored.
type AdminToken struct {
	ID         int64
	Name       string
	Role       Role
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
}

// LiveAt tells whether the token may be used at t.
func (t AdminToken) LiveAt(at time.Time) bool {
	return t.ExpiresAt.IsZero() || at.Before(t.ExpiresAt)
}

// APIKey is a web API key of an api user: the user logs in to the CRM.COM
// face with it instead of its password. Only the SHA-256 of the key is
// stored; Label names it among its user's keys.
type APIKey struct {
	ID         int64
	UserID     int64
	Label      string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
}
