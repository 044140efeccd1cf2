// Package partner holds implementations of netflix.PartnerGateway.
package partner

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"carebridge/internal/netflix"
)

// Local issues registration tokens itself, in the partner's format (32
// lower-case hex characters), for operators without a live partner link and
// for demos and tests.
type Local struct{}

// RegistrationToken returns a fresh random token valid for r.Validity.
func (Local) RegistrationToken(ctx context.Context, r netflix.RegistrationRequest) (netflix.RegistrationToken, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return netflix.RegistrationToken{}, err
	}
	return netflix.RegistrationToken{
		Token:     hex.EncodeToString(b[:]),
		ExpiresAt: r.At.Add(r.Validity),
	}, nil
}
