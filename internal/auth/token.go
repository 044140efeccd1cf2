package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// tokenBytes gives a token 128 bits of entropy, enough that guessing one is
// hopeless, in the 32-character form CRM.COM clients already expect.
const tokenBytes = 16

// NewToken returns a fresh random token as 32 upper-case hex characters,
// the CRM.COM token format (e.g. 33586DF3842E4AE5BABF43C43269E8F8).
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: reading token: %w", err)
	}
	return strings.ToUpper(hex.EncodeToString(b)), nil
}

// NewSecret returns n random bytes as lower-case hex, for secrets that are
// shown once and then stored only as a hash.
func NewSecret(n int) (string, error) {
	if n < 1 {
		return "", errors.New("auth: secret length must be positive")
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: reading secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// HashToken returns the SHA-256 digest (32 bytes) under which a token is
// stored, so a database leak does not hand out live tokens. ASCII letters are
// upper-cased first: hex case carries no entropy, and a client that
// lower-cases the token must still match. A fast hash is enough because the
// token itself is random, not a human choice.
func HashToken(token string) []byte {
	b := []byte(token)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// LooksLikeToken reports whether s is 32 hex characters of either case, so
// that callers can reject garbage before touching the database.
func LooksLikeToken(s string) bool {
	if len(s) != 2*tokenBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
