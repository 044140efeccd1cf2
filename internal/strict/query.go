package strict

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Query parses a URL query string as url.ParseQuery does, but a pair it
// cannot read — a malformed percent-escape, a semicolon (which Go no
// longer takes as a separator), text that is not UTF-8 — is an *Error
// naming the parameter, where r.URL.Query() would drop the pair and let
// the method run as if it had not been given.
func Query(raw string) (url.Values, error) {
	values := url.Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, &Error{Path: rawName, Member: rawName, Reason: "is a parameter name with a malformed percent-escape"}
		}
		if !utf8.ValidString(name) {
			name = strings.ToValidUTF8(name, "\uFFFD")
			return nil, &Error{Path: name, Member: name, Reason: "is a parameter name that is not valid UTF-8"}
		}
		if strings.Contains(rawName, ";") {
			return nil, &Error{Path: name, Member: name, Reason: "is a parameter name with a semicolon; separate parameters with & and write a semicolon as %3B"}
		}
		fail := func(reason string) (url.Values, error) {
			return nil, &Error{Path: name, Member: name, Reason: reason}
		}
		if strings.Contains(rawValue, ";") {
			return fail("holds a semicolon; separate parameters with & and write a semicolon as %3B")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return fail("has a malformed percent-escape (write % as %25)")
		}
		if !utf8.ValidString(value) {
			return fail("is not valid UTF-8")
		}
		values[name] = append(values[name], value)
	}
	return values, nil
}
