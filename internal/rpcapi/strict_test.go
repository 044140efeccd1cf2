package rpcapi_test

import (
	"strings"
	"testing"
)

// A message the JSON decoder would read loosely is refused over HTTP: a
// member given twice would act on its last value, a lone surrogate on
// U+FFFD. In the params it is invalid params naming the member; elsewhere
// an invalid request.
func TestHTTPLooseJSONRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, c := range []struct {
		name, body, id string
		code           int
		words          []string
	}{
		{"callsign twice", `{"jsonrpc":"2.0","id":1,"method":"Controller.1.deactivate","params":{"callsign":"OCP","callsign":"Netflix"}}`,
			"1", -32602, []string{"callsign", "more than once"}},
		{"lone surrogate in the callsign", `{"jsonrpc":"2.0","id":2,"method":"Controller.1.deactivate","params":{"callsign":"Netflix\ud800"}}`,
			"2", -32602, []string{"callsign", "surrogate"}},
		{"method twice", `{"jsonrpc":"2.0","id":3,"method":"Controller.1.status","method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`,
			"3", -32600, []string{"Invalid request."}},
		{"id twice", `{"jsonrpc":"2.0","id":4,"id":5,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`,
			"null", -32600, []string{"Invalid request."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := parseAnswer(t, e.postRPC("/jsonrpc", c.body))
			if string(a.ID) != c.id || a.Error == nil || a.Error.Code != c.code {
				t.Fatalf("answer %s, want id %s and error %d", a.Raw, c.id, c.code)
			}
			for _, w := range c.words {
				if !strings.Contains(a.Error.Message, w) {
					t.Errorf("message %q does not name %q", a.Error.Message, w)
				}
			}
		})
	}
	for _, callsign := range []string{"Netflix", "OCP"} {
		if !e.app.Host.Active(callsign) {
			t.Errorf("%s was deactivated by a refused call", callsign)
		}
	}
}
