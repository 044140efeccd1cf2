package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"carebridge"
)

// MaxURLBytes bounds an endpoint's URL, as browsers and most servers do.
const MaxURLBytes = 2048

// SecretPrefix starts every signing secret, so that one found in a
// configuration file or a log tells what it is.
const SecretPrefix = "whsec_"

// knownTypes lists EventTypes for messages.
func knownTypes() string { return FormatEventTypes(EventTypes) }

// ParseEventTypes reads a comma-separated list of event types, as an
// endpoint is registered with and stored: each one of EventTypes, none
// twice, at least one. Spaces around a type are ignored.
func ParseEventTypes(list string) ([]EventType, error) {
	if strings.TrimSpace(list) == "" {
		return nil, carebridge.Errorf(carebridge.EINVALID, "Name at least one event type, separated by commas: %s.", knownTypes())
	}
	var types []EventType
	for _, s := range strings.Split(list, ",") {
		t := EventType(strings.TrimSpace(s))
		switch {
		case t == "":
			return nil, carebridge.Errorf(carebridge.EINVALID, "The event types %q have an empty item; separate the types with single commas: %s.", list, knownTypes())
		case !slices.Contains(EventTypes, t):
			return nil, carebridge.Errorf(carebridge.EINVALID, "%q is not an event type; the event types are %s.", string(t), knownTypes())
		case slices.Contains(types, t):
			return nil, carebridge.Errorf(carebridge.EINVALID, "The event type %q is named twice.", string(t))
		}
		types = append(types, t)
	}
	return types, nil
}

// FormatEventTypes is the comma-separated list ParseEventTypes reads.
func FormatEventTypes(types []EventType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// ValidateURL checks an endpoint's URL: absolute, http or https, with a
// host. User info is refused, since it would be a credential kept and
// shown as a URL; so is a fragment, which is never sent.
func ValidateURL(raw string) error {
	if len(raw) > MaxURLBytes {
		return carebridge.Errorf(carebridge.EINVALID, "The URL is longer than %d bytes.", MaxURLBytes)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || raw == "":
		return carebridge.Errorf(carebridge.EINVALID, "%q is not a URL; give an absolute http or https URL, such as https://example.com/webhooks.", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return carebridge.Errorf(carebridge.EINVALID, "The URL %q is not an absolute http or https URL.", raw)
	case u.Opaque != "" || u.Hostname() == "":
		return carebridge.Errorf(carebridge.EINVALID, "The URL %q has no host.", raw)
	case u.User != nil:
		return carebridge.Errorf(carebridge.EINVALID, "The URL %q holds a user name or password; endpoints are authenticated by the signature instead.", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return carebridge.Errorf(carebridge.EINVALID, "The URL %q has a fragment (#…), which is never sent.", raw)
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return carebridge.Errorf(carebridge.EINVALID, "The URL %q holds a space or a control character; escape it (%%20).", raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return carebridge.Errorf(carebridge.EINVALID, "The URL %q has no valid port: give 1 to 65535.", raw)
		}
	}
	return nil
}

// NewSecret returns a new random signing secret: SecretPrefix and 32
// random bytes in hex. The whole text is the HMAC key.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return SecretPrefix + hex.EncodeToString(b[:]), nil
}

// ValidateEndpoint checks an endpoint before it is stored: its URL
// (ValidateURL) and its event types, which ParseEventTypes must read
// back from their stored list.
func ValidateEndpoint(e Endpoint) error {
	if err := ValidateURL(e.URL); err != nil {
		return err
	}
	_, err := ParseEventTypes(FormatEventTypes(e.Events))
	return err
}
