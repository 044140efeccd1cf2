package carebridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// OperatorLookup finds an operator of an organisation by one of its keys;
// each answers ENOTFOUND when no operator of that organisation has it.
type OperatorLookup interface {
	OperatorByID(ctx context.Context, organisationID, id int64) (Operator, error)
	OperatorByName(ctx context.Context, organisationID int64, name string) (Operator, error)
	OperatorByAlternativeCode(ctx context.Context, organisationID int64, code string) (Operator, error)
}

// ResolveGroup finds the operator a group identifier names within an
// organisation: by id (a positive integer written plainly, so "007" names
// none), by name or by alternative code, exactly one of them given.
// ENOTFOUND when no operator of that organisation matches.
func ResolveGroup(ctx context.Context, ops OperatorLookup, organisationID int64, g GroupIdentifier) (Operator, error) {
	if err := g.Validate(); err != nil {
		return Operator{}, err
	}
	var op Operator
	var err error
	switch {
	case g.ID != "":
		id, perr := strconv.ParseInt(g.ID, 10, 64)
		if perr != nil || id <= 0 || strconv.FormatInt(id, 10) != g.ID {
			return Operator{}, Errorf(ENOTFOUND, "No group with id %q in this organisation.", g.ID)
		}
		op, err = ops.OperatorByID(ctx, organisationID, id)
	case g.Name != "":
		op, err = ops.OperatorByName(ctx, organisationID, g.Name)
	default:
		op, err = ops.OperatorByAlternativeCode(ctx, organisationID, g.AlternativeCode)
	}
	if ErrorCode(err) == ENOTFOUND {
		return Operator{}, Errorf(ENOTFOUND, "No such group in this organisation.")
	}
	return op, err
}

// NewPartnerSecret returns a fresh key for an operator's partner to sign
// charge reports with: 32 random bytes as hex. Every operator is created
// with one, and rotating it replaces it with another.
func NewPartnerSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
