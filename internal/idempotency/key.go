// Package idempotency holds the rules of idempotent retries: a client names
// a request with a key of its own, and a repeat of that request (a retry
// after a lost answer) gets the first answer again instead of acting twice.
// The rules live here; an Engine stores the keys and locks them, and
// decides nothing.
package idempotency

import (
	"crypto/sha256"

	"carebridge"
)

// Error codes of this package, in the platform's error model: each face
// maps them in its table.
const (
	// EREUSED: the key was used for another request (another method, or
	// another body); answering the first one's result would be wrong.
	EREUSED = "idempotency_key_reused"
	// EINPROGRESS: the first request with the key is still running and
	// did not finish while this one waited.
	EINPROGRESS = "request_in_progress"
)

// MaxKeyLength bounds a key: long enough for a UUID or a client's own
// composite name, short enough to index.
const MaxKeyLength = 255

// ValidateKey accepts 1 to MaxKeyLength printable ASCII characters (what an
// HTTP header carries without encoding).
func ValidateKey(key string) error {
	if len(key) < 1 || len(key) > MaxKeyLength {
		return carebridge.Errorf(carebridge.EINVALID, "The Idempotency-Key header must be 1 to %d characters.", MaxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7E {
			return carebridge.Errorf(carebridge.EINVALID, "The Idempotency-Key header must be printable ASCII characters.")
		}
	}
	return nil
}

// Fingerprint identifies a request: its method's path and what it asks
// (its parameters, as the face writes them). The path is part of it so
// that the key of one method sent to another is a reuse too; the separator
// keeps a path and parameters from being read as another pair.
func Fingerprint(path string, params []byte) []byte {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(params)
	return h.Sum(nil)
}
