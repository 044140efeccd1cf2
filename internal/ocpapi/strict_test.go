package ocpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// A token form the server cannot read exactly is refused, not read with a
// pair dropped.
func TestTokenFormMalformedEscapes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct{ name, body string }{
		{"secret", "grant_type=client_credentials&client_id=" + demoClientID + "&client_secret=%zz"},
		{"truncated escape", "grant_type=client_credentials&client_id=" + demoClientID + "&client_secret=abc%2"},
		{"grant type", "grant_type=client%_credentials&client_id=" + demoClientID + "&client_secret=x"},
		{"name", "grant_type=client_credentials&%zz=1"},
		{"semicolon", "grant_type=client_credentials;client_id=" + demoClientID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.url+"/v1/oauth/token", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			wantOAuthError(t, tc.name, e.do(req), http.StatusBadRequest, "invalid_request")
		})
	}
}
