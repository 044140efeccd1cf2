package face_test

import (
	"net/http/httptest"
	"testing"

	"carebridge/internal/face"
)

func TestBearer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header string // "" sends none
		token  string
		ok     bool
	}{
		{"", "", false},
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},   // the OCP document's spelling
		{"BEARER  abc ", "abc", true}, // spaces around the token do not count
		{"Bearer", "", true},          // sent without a token: it still counts
		{"Bearer ", "", true},
		{"Basic YTpi", "", false},
		{"Bearerabc", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		if token, ok := face.Bearer(r); token != c.token || ok != c.ok {
			t.Errorf("Authorization %q: %q, %v; want %q, %v", c.header, token, ok, c.token, c.ok)
		}
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	for remote, want := range map[string]string{
		"192.0.2.1:1234":   "192.0.2.1",
		"[2001:db8::1]:80": "2001:db8::1",
		"@":                "@", // a Unix socket's peer has no port
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := face.ClientAddress(r); got != want {
			t.Errorf("RemoteAddr %q: %q, want %q", remote, got, want)
		}
	}
}
