package carebridge

import (
	"net/mail"
	"strings"
)

// ValidEmail accepts a bare address (no display name) that net/mail parses,
// with a dotted domain, at most 254 characters.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\t") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}
