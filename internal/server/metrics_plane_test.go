package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
)

// wsExchange writes one text message and returns the next message that is
// not a notification (the answer), or "" when the socket closes.
func wsExchange(t *testing.T, c *websocket.Conn, msg string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %s: %v", msg, err)
	}
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("answer to %s: %v", msg, err)
		}
		var m struct{ ID *int }
		if json.Unmarshal(b, &m) == nil && m.ID == nil && strings.Contains(string(b), `"method"`) {
			continue // an event
		}
		return string(b)
	}
}

// TestMetricsOfThePlane drives a WebSocket through a started server and
// reads what the plane's metrics say: the socket counted open (and not as
// a request in flight), calls by served method and error code, a call of
// a method that does not exist and a message that is not a request under
// their fixed labels, an event delivered, a peer dropped for a binary
// message, and the socket closed again.
func TestMetricsOfThePlane(t *testing.T) {
	t.Parallel()
	srv, stores := newServer(t, server.Config{})
	if err := stores.Tenancy.CreateAdminToken(t.Context(), carebridge.AdminToken{Name: "ops", Role: carebridge.RoleAdmin, CreatedAt: time.Now()}, auth.HashToken(secretToken)); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()
	c, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(ts.URL, "http")+"/jsonrpc?token="+secretToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()

	samples := parseScrape(t, scrape(t, ts.URL+"/metrics"))
	for name, want := range map[string]float64{
		"carebridge_jsonrpc_websockets_open": 1,
		"carebridge_http_requests_in_flight": 1, // the scrape; the socket switched protocols
	} {
		if got, ok := find(samples, name, nil); !ok || got != want {
			t.Errorf("%s = %v (present %v) with a WebSocket open, want %v", name, got, ok, want)
		}
	}
	upgrade := map[string]string{"face": "jsonrpc", "route": "/jsonrpc", "status": "101"}
	if got, _ := find(samples, "carebridge_http_request_duration_seconds_count", upgrade); got != 1 {
		t.Errorf("upgrades in the latency histogram: %v, want 1 (recorded when it switched)", got)
	}

	calls := []struct{ msg, method, code string }{
		{`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`, "Controller.status", "0"},
		{`{"jsonrpc":"2.0","id":2,"method":"Controller.status@Netflix"}`, "Controller.status", "0"},
		{`{"jsonrpc":"2.0","id":3,"method":"Controller.1.register","params":{"event":"statechange","id":"care"}}`, "Controller.register", "0"},
		{`{"jsonrpc":"2.0","id":4,"method":"Netflix.1.` + crmCustomer + `"}`, "unknown", "-32601"},
		{`{"jsonrpc":"2.0","id":5,"method":"` + chargeNumber + `.1.status"}`, "unknown", "-31043"},
		{`{"jsonrpc":"2.0","id":6,"method":"Controller.1.deactivate","params":{"callsign":"Netflix"}}`, "Controller.deactivate", "0"},
		{`{"jsonrpc":"2.0","id":7,"method":"Controller.1.activate","params":{"callsign":"Netflix"}}`, "Controller.activate", "0"},
		{`{"jsonrpc":"2.0","id":8,"method":"Controller.1.activate","params":{"callsign":"` + customerID + `"}}`, "Controller.activate", ""},
		{`{"jsonrpc":"2.0","id":9,` + customerID, "invalid", "-32700"},
	}
	for _, call := range calls {
		answer := wsExchange(t, c, call.msg)
		if call.code == "0" && strings.Contains(answer, `"error"`) {
			t.Fatalf("%s: %s", call.msg, answer)
		}
	}
	if err := c.Write(t.Context(), websocket.MessageBinary, []byte("binary")); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err := c.Read(t.Context()); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
				t.Fatalf("after a binary message: %v, want close 1003", err)
			}
			break
		}
	}

	eventually(t, "the WebSocket counted closed", func() bool {
		got, _ := find(parseScrape(t, scrape(t, ts.URL+"/metrics")), "carebridge_jsonrpc_websockets_open", nil)
		return got == 0
	})
	samples = parseScrape(t, scrape(t, ts.URL+"/metrics"))
	want := map[[2]string]float64{}
	for _, call := range calls {
		if call.code != "" {
			want[[2]string{call.method, call.code}]++
		}
	}
	for k, n := range want {
		labels := map[string]string{"method": k[0], "code": k[1]}
		if got, ok := find(samples, "carebridge_jsonrpc_calls_total", labels); !ok || got != n {
			t.Errorf("carebridge_jsonrpc_calls_total%v = %v (present %v), want %v", labels, got, ok, n)
		}
	}
	if got := sum(samples, "carebridge_jsonrpc_calls_total", map[string]string{"method": "Controller.activate"}); got != 2 {
		t.Errorf("Controller.activate calls, whatever their code: %v, want 2", got)
	}
	// Deactivating and activating Netflix published statechange twice.
	if got, _ := find(samples, "carebridge_jsonrpc_events_total", map[string]string{"callsign": "Controller", "event": "statechange"}); got != 2 {
		t.Errorf("statechange events delivered: %v, want 2", got)
	}
	for reason, n := range map[string]float64{"binary_message": 1, "not_reading": 0, "no_pong": 0, "too_many_events": 0} {
		if got, ok := find(samples, "carebridge_jsonrpc_peers_dropped_total", map[string]string{"reason": reason}); !ok || got != n {
			t.Errorf("peers dropped for %s: %v (present %v), want %v", reason, got, ok, n)
		}
	}
	noIdentifierLabels(t, samples)
}

// sum adds the values of the samples named name whose labels include
// want.
func sum(samples []sample, name string, want map[string]string) float64 {
	total := 0.0
	for _, s := range samples {
		match := s.name == name
		for k, v := range want {
			match = match && s.labels[k] == v
		}
		if match {
			total += s.value
		}
	}
	return total
}

// noIdentifierLabels fails for a label value that holds one of the
// identifiers the requests carried.
func noIdentifierLabels(t *testing.T, samples []sample) {
	t.Helper()
	for _, s := range samples {
		for k, v := range s.labels {
			for _, id := range []string{customerID, crmCustomer, chargeNumber, secretToken} {
				if strings.Contains(v, id) {
					t.Errorf("%s: label %s=%q carries the identifier %q", s.name, k, v, id)
				}
			}
		}
	}
}
