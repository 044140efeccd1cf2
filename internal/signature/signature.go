// Package signature is carebridge's HMAC signature scheme, the same in
// both directions: partners sign the charge reports they send, and
// carebridge signs the webhook deliveries it sends. A header value is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">", keyed with the
// secret's text; the timestamp bounds how long captured bytes can be
// sent again.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of Verify; each caller words them for its own audience.
var (
	// ErrMalformed: the header is not a signature header.
	ErrMalformed = errors.New("signature: malformed header")
	// ErrStale: the timestamp is outside the window around now.
	ErrStale = errors.New("signature: timestamp outside the window")
	// ErrMismatch: no v1 value is the body's HMAC under the secret.
	ErrMismatch = errors.New("signature: no matching signature")
)

// Sign returns the header value signing body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Digest is the v1 value Sign gives, in lower-case hex: a signed message's
// identity once it is verified.
func Digest(secret string, t time.Time, body []byte) string {
	return hex.EncodeToString(mac(secret, strconv.FormatInt(t.Unix(), 10), body))
}

// mac is HMAC-SHA256 keyed with the secret's text over "<ts>.<body>".
func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Header is a parsed signature header.
type Header struct {
	T  time.Time
	V1 [][]byte // the HMACs given; one matching is enough
}

// Parse reads a header value. Parts are separated by commas, spaces
// around them are ignored, and they may come in any order. There must be
// one t, in plain decimal (what was signed is its text, so only the one
// spelling Sign writes is taken), and at least one v1 of 64 hex digits,
// in either case. Several v1 values let a signer sign with an old and a
// new secret while the verifier changes over. Parts of other names (a
// later scheme's) are skipped.
func Parse(header string) (Header, error) {
	var h Header
	seenT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return Header{}, ErrMalformed
		}
		switch k {
		case "t":
			sec, ok := parseUnix(v)
			if !ok || seenT {
				return Header{}, ErrMalformed
			}
			h.T, seenT = time.Unix(sec, 0), true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return Header{}, ErrMalformed
			}
			h.V1 = append(h.V1, b)
		}
	}
	if !seenT || len(h.V1) == 0 {
		return Header{}, ErrMalformed
	}
	return h, nil
}

// Within reports whether the header's timestamp is no further than window
// from now, so that a caller can refuse a stale message before it looks
// for the secret.
func (h Header) Within(now time.Time, window time.Duration) bool {
	d := now.Sub(h.T)
	return -window <= d && d <= window
}

// parseUnix reads non-negative decimal seconds without sign or leading
// zeros.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Verify checks that header signs body with secret at a time no further
// than window from now. Every v1 value is compared in constant time. An
// empty secret matches nothing, so a caller that found no secret can
// still compare, and take as long.
func Verify(secret, header string, body []byte, now time.Time, window time.Duration) error {
	h, err := Parse(header)
	if err != nil {
		return err
	}
	if !h.Within(now, window) {
		return ErrStale
	}
	want := mac(secret, strconv.FormatInt(h.T.Unix(), 10), body)
	match := false
	for _, got := range h.V1 {
		if hmac.Equal(got, want) {
			match = true
		}
	}
	if !match || secret == "" {
		return ErrMismatch
	}
	return nil
}
