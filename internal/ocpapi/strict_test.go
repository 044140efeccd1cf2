package ocpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// A token form the server cannot read exactly is refused, naming the
// parameter, not read with a pair dropped.
func TestTokenFormMalformedEscapes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct{ name, body, words string }{
		{"secret", "grant_type=client_credentials&client_id=" + demoClientID + "&client_secret=%zz", "client_secret has a malformed percent-escape"},
		{"truncated escape", "grant_type=client_credentials&client_id=" + demoClientID + "&client_secret=abc%2", "client_secret has a malformed percent-escape"},
		{"grant type", "grant_type=client%_credentials&client_id=" + demoClientID + "&client_secret=x", "grant_type has a malformed percent-escape"},
		{"name", "grant_type=client_credentials&%zz=1", "%zz is a parameter name with a malformed percent-escape"},
		{"semicolon", "grant_type=client_credentials;client_id=" + demoClientID, "grant_type holds a semicolon"},
		{"not UTF-8", "grant_type=client_credentials&client_id=%ff&client_secret=x", "client_id is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.url+"/v1/oauth/token", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if oe := wantOAuthError(t, tc.name, e.do(req), http.StatusBadRequest, "invalid_request"); !strings.Contains(oe.Description, tc.words) {
				t.Errorf("error_description %q does not say %q", oe.Description, tc.words)
			}
		})
	}
}
