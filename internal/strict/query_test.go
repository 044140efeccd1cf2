package strict

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestQueryRefuses(t *testing.T) {
	for _, tc := range []struct {
		raw, path, reason string
	}{
		{"fields_set=%zz", "fields_set", "malformed percent-escape"},
		{"a=1&fields_set=abc%2", "fields_set", "malformed percent-escape"},
		{"customer=%ff", "customer", "not valid UTF-8"},
		{"customer=%ed%a0%80", "customer", "not valid UTF-8"},
		{"%zz=1", "%zz", "parameter name with a malformed percent-escape"},
		{"a%ff=1", "a\uFFFD", "parameter name that is not valid UTF-8"},
		{"a=1;b=2", "a", "semicolon"},
		{"a;b=2", "a;b", "semicolon"},
	} {
		_, err := Query(tc.raw)
		var e *Error
		if !errors.As(err, &e) || e.Path != tc.path || e.Member != tc.path || !strings.Contains(e.Reason, tc.reason) {
			t.Errorf("Query(%q) = %#v, want path %q and a reason with %q", tc.raw, err, tc.path, tc.reason)
		}
	}
}

func TestQueryReadsWhatParseQueryReads(t *testing.T) {
	for _, raw := range []string{"", "a=1", "a=1&b=%20x+y", "a=1&a=2", "a&b=", "&&a=1&", "=x", "fields_set=a%2Cb", "q=%E2%82%AC", "a=%3B"} {
		want, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", raw, err)
		}
		got, err := Query(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Query(%q) = %v, %v; want %v", raw, got, err, want)
		}
	}
}
