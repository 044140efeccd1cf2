// Package auth holds the secrets machinery of the platform: password hashing, random tokens and their hashes, and login throttling.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"carebridge"
)

// argonParams are the tunable inputs of argon2id. They travel inside every
// encoded hash so that they can be raised later without breaking old hashes.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
}

// current are the parameters for new hashes: OWASP's minimum recommendation
// for argon2id, which keeps one hash at 19 MiB so that a 2-core server with a
// 150 MB budget cannot be pushed out of memory by concurrent logins.
var current = argonParams{memory: 19456, time: 2, threads: 1, keyLen: 32}

const saltLen = 16

// Bounds on parameters read from a stored hash. A hash planted in the
// database with huge costs must not let one login exhaust memory or CPU.
const (
	maxMemory  = 64 << 10 // KiB, 64 MiB: a planted hash must not exhaust a small server
	maxTime    = 10
	maxThreads = 16
	minKeyLen  = 16
	maxKeyLen  = 64
	minSaltLen = 8
	maxSaltLen = 64
)

// b64 is the PHC string format's base64: standard alphabet, no padding.
// Strict rejects non-canonical encodings so one hash has one spelling.
var b64 = base64.RawStdEncoding.Strict()

// slots bounds how many hashes run at once, and therefore the memory they
// take: each argon2id computation allocates its full memory cost.
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

// acquire takes a hashing slot, giving up when ctx ends so that a request
// whose client has gone does not wait for (or spend) a hash.
func acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release() { <-slots }

// derive runs argon2id inside a slot.
func derive(ctx context.Context, password string, salt []byte, p argonParams) ([]byte, error) {
	if err := acquire(ctx); err != nil {
		return nil, err
	}
	defer release()
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, p.keyLen), nil
}

// HashPassword returns the argon2id hash of password in the PHC string
// format, with a fresh random salt.
func HashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: reading salt: %w", err)
	}
	key, err := derive(ctx, password, salt, current)
	if err != nil {
		return "", err
	}
	return encode(current, salt, key), nil
}

// encode writes $argon2id$v=19$m=<memory>,t=<time>,p=<threads>$<salt>$<key>.
func encode(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errMalformed is returned for any stored hash that cannot be trusted; the
// details stay out of it because the hash is never the caller's fault.
var errMalformed = errors.New("auth: malformed password hash")

// decode parses a PHC argon2id string and refuses parameters outside sane
// bounds.
func decode(encoded string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformed
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", errMalformed)
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, fmt.Errorf("%w: parameters", errMalformed)
	}
	m, err1 := param(fields[0], "m=", maxMemory)
	t, err2 := param(fields[1], "t=", maxTime)
	th, err3 := param(fields[2], "p=", maxThreads)
	if err := errors.Join(err1, err2, err3); err != nil {
		return p, nil, nil, err
	}
	// argon2 needs at least 8 KiB of memory per lane.
	if m < 8*th {
		return p, nil, nil, fmt.Errorf("%w: memory below 8 KiB per thread", errMalformed)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("%w: salt", errMalformed)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: key", errMalformed)
	}
	p = argonParams{memory: m, time: t, threads: uint8(th), keyLen: uint32(len(key))}
	return p, salt, key, nil
}

// param parses one "name=value" field with 1 <= value <= max.
func param(field, prefix string, max uint32) (uint32, error) {
	s, ok := strings.CutPrefix(field, prefix)
	if !ok {
		return 0, fmt.Errorf("%w: expected %q", errMalformed, prefix)
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v < 1 || v > uint64(max) {
		return 0, fmt.Errorf("%w: %s out of range", errMalformed, prefix)
	}
	return uint32(v), nil
}

// VerifyPassword reports whether password matches encoded. The parameters
// come from encoded itself, so hashes made under older parameters still
// verify. A malformed encoded string is an error, not a mismatch, because it
// means the stored data is broken.
func VerifyPassword(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := derive(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// DummyVerify spends the time of one real verification and discards the
// result. Calling it for unknown users makes a failed login take as long
// whether the user exists or not, so timing does not reveal which users do.
func DummyVerify(ctx context.Context, password string) {
	dummyOnce.Do(func() {
		// A fixed salt is fine: nothing is protected by this hash, and it
		// keeps the dummy independent of the random source.
		salt := make([]byte, saltLen)
		key, err := derive(context.Background(), "carebridge dummy password", salt, current)
		if err != nil {
			return // cannot happen with a background context
		}
		dummyHash = encode(current, salt, key)
	})
	_, _ = VerifyPassword(ctx, dummyHash, password)
}

// Password policy bounds. The upper bound caps the work a single login can
// ask of the server; NUL and line breaks are refused because they are never
// typed on purpose and break some clients and storage.
const (
	minPasswordRunes = 8
	maxPasswordBytes = 1024
)

// CheckPasswordPolicy returns an EINVALID *carebridge.Error explaining why
// password cannot be used, or nil if it can.
func CheckPasswordPolicy(password string) error {
	switch {
	case len(password) > maxPasswordBytes:
		return carebridge.Errorf(carebridge.EINVALID, "The password must be at most %d bytes long.", maxPasswordBytes)
	case strings.ContainsRune(password, 0):
		return carebridge.Errorf(carebridge.EINVALID, "The password must not contain a NUL character.")
	case strings.ContainsAny(password, "\r\n"):
		return carebridge.Errorf(carebridge.EINVALID, "The password must not contain line breaks.")
	case utf8.RuneCountInString(password) < minPasswordRunes:
		return carebridge.Errorf(carebridge.EINVALID, "The password must be at least %d characters long.", minPasswordRunes)
	}
	return nil
}
