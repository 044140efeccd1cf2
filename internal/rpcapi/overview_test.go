package rpcapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/server"
	"carebridge/internal/testserver"
)

// overviewJSON is Netflix.1.overview's answer as the console reads it.
type overviewJSON struct {
	Charges       map[string]int64 `json:"charges"`
	OldestPending *string          `json:"oldest_pending"`
	Age           *int64           `json:"oldest_pending_age_seconds"`
}

// A supervisor's overview of the operator's charges, over HTTP and over
// the WebSocket, on both engines: the demo's five charges, PENDING and
// then settled, a charge reported since and its age by the server's
// clock, and another operator's charges, which count only for that
// operator.
func TestOverview(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		clock := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
		// No processor runs: a charge stays PENDING until p.settle.
		p := stillPlane(t, db(t), func(c *server.Config) { c.Now = clock.Now })
		loaded := clock.Now()
		super := p.tokens[carebridge.RoleSupervisor]
		sockets := map[string]*wsClient{}
		id := 0
		// overview calls the method with token over HTTP and over the
		// WebSocket, checks that they answer alike, and decodes the
		// result.
		overview := func(token string, params any) (overviewJSON, answer) {
			t.Helper()
			a := p.rpc(token, "Netflix.1.overview", params)
			w, ok := sockets[token]
			if !ok {
				w = p.ws(token)
				sockets[token] = w
			}
			id++
			b := w.call(id, "Netflix.1.overview", params)
			if string(a.Result) != string(b.Result) || (a.Error == nil) != (b.Error == nil) || a.Error != nil && *a.Error != *b.Error {
				t.Fatalf("overview: HTTP %s, WebSocket %s", a.Raw, b.Raw)
			}
			var o overviewJSON
			if a.Error == nil {
				var members map[string]json.RawMessage
				if err := json.Unmarshal(a.Result, &members); err != nil || len(members) != 3 {
					t.Fatalf("overview: %s", a.Raw)
				}
				if err := json.Unmarshal(a.Result, &o); err != nil {
					t.Fatal(err)
				}
			}
			return o, a
		}
		check := func(step, token string, pending, approved int64, oldest time.Time, age int64) {
			t.Helper()
			o, a := overview(token, nil)
			if a.Error != nil {
				t.Fatalf("%s: %s", step, a.Raw)
			}
			want := map[string]int64{"PENDING": pending, "APPROVED": approved, "DECLINED": 0, "BAD_REQUEST": 0, "REJECTED": 0}
			if len(o.Charges) != len(want) {
				t.Fatalf("%s: charges %v, want every status: %v", step, o.Charges, want)
			}
			for k, v := range want {
				if n, ok := o.Charges[k]; !ok || n != v {
					t.Fatalf("%s: charges %v, want %v", step, o.Charges, want)
				}
			}
			if oldest.IsZero() {
				if o.OldestPending != nil || o.Age != nil {
					t.Fatalf("%s: nothing is PENDING, yet %s", step, a.Result)
				}
				return
			}
			if o.OldestPending == nil || *o.OldestPending != oldest.UTC().Format(time.RFC3339) || o.Age == nil || *o.Age != age {
				t.Fatalf("%s: %s; want oldest_pending %s, %d seconds old", step, a.Result, oldest.UTC().Format(time.RFC3339), age)
			}
		}

		// The demo's charges as loaded, then settled: all APPROVED.
		clock.Advance(7 * time.Second)
		check("the demo loaded", super, 5, 0, loaded, 7)
		p.settle()
		check("the demo settled", super, 0, 5, time.Time{}, 0)

		// Another operator's charges are not counted; theirs are, for
		// their supervisor.
		theirs := p.addTenant(demo.Organisation, "other-operator", "theirs-1")
		theirsAt := clock.Now()
		p.ingest(theirs.op.ID, newCharge("overview-theirs-1", "theirs-1", 599), newCharge("overview-theirs-2", "theirs-2", 599))
		clock.Advance(30 * time.Second)
		check("another operator's charges", super, 0, 5, time.Time{}, 0)

		// A charge reported since is PENDING, aged by the server's clock.
		oursAt := clock.Now()
		p.ingest(p.op.ID, newCharge("overview-1", "pci150", 599))
		clock.Advance(42 * time.Second)
		check("a charge reported", super, 1, 5, oursAt, 42)
		check("their overview", theirs.token, 2, 0, theirsAt, 72)

		// Params absent, null or {}; anything else is invalid.
		for _, params := range []any{nil, json.RawMessage(`null`), map[string]any{}} {
			if o, a := overview(super, params); a.Error != nil || o.Charges["PENDING"] != 1 {
				t.Errorf("overview with params %s: %s", mustJSON(t, params), a.Raw)
			}
		}
		for _, params := range []any{[]any{}, map[string]any{"operator": 1}, "x", 1} {
			if _, a := overview(super, params); a.Error == nil || a.Error.Code != jsonrpc.CodeInvalidParams {
				t.Errorf("overview with params %s: %s; want %d", mustJSON(t, params), a.Raw, jsonrpc.CodeInvalidParams)
			}
		}
		// A supervisor's alone.
		for _, role := range []carebridge.Role{carebridge.RoleCare, carebridge.RoleOps, carebridge.RoleAdmin} {
			if _, a := overview(p.tokens[role], nil); a.Error == nil || a.Error.Code != jsonrpc.CodeNotAllowed {
				t.Errorf("overview by %s: %s; want %d", role, a.Raw, jsonrpc.CodeNotAllowed)
			}
		}

		// Settled, the charge moves to APPROVED.
		p.settle()
		check("settled again", super, 0, 6, time.Time{}, 0)
	})
}
