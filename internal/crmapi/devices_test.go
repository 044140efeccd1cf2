package crmapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/host"
	"carebridge/internal/netflix"
)

const (
	registerDevices   = "netflix/operators/register_devices"
	unregisterDevices = "netflix/operators/unregister_devices"
)

// as returns the environment with t as the test that fails, so that a
// subtest may share its parent's server.
func (e *env) as(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// devicesParam is the devices parameter for a list of ESNs.
func devicesParam(esns ...string) []map[string]any {
	out := make([]map[string]any, len(esns))
	for i, e := range esns {
		out[i] = map[string]any{"esn": e}
	}
	return out
}

// callDevices calls register_devices or unregister_devices with a group
// identifier and ESNs, as the token (empty: the demo session).
func (e *env) callDevices(method, token string, group map[string]any, esns ...string) reply {
	e.t.Helper()
	params := map[string]any{"group_identifier": group, "devices": devicesParam(esns...)}
	if token != "" {
		params["token"] = token
	}
	return e.post(method, params)
}

// failedESNs checks a success and returns its failed_devices_set's ESNs,
// insisting that the data is exactly {"failed_devices_set": […]} and each
// item exactly {"esn": …}.
func failedESNs(t *testing.T, r reply) []string {
	t.Helper()
	r.ok(t)
	var data map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("data is not an object: %s", r.Data)
	}
	set, ok := data["failed_devices_set"]
	if len(data) != 1 || !ok {
		t.Fatalf("data = %s, want exactly failed_devices_set", r.Data)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(set, &items); err != nil || items == nil {
		t.Fatalf("failed_devices_set = %s, want an array", set)
	}
	out := make([]string, len(items))
	for i, it := range items {
		var esn string
		if err := json.Unmarshal(it["esn"], &esn); err != nil || len(it) != 1 {
			t.Fatalf("failed_devices_set[%d] = %v, want exactly {\"esn\": string}", i, it)
		}
		out[i] = esn
	}
	return out
}

// wantFailed checks a success whose failed_devices_set is exactly want,
// in order.
func wantFailed(t *testing.T, r reply, want ...string) {
	t.Helper()
	got := failedESNs(t, r)
	if !slices.Equal(got, want) {
		if len(got) > 10 || len(want) > 10 {
			t.Fatalf("%d failed (first %q), want %d (first %q)", len(got), got[:min(3, len(got))], len(want), want[:min(3, len(want))])
		}
		t.Fatalf("failed_devices_set = %q, want %q", got, want)
	}
}

// noneFailed checks the exact answer of a call where nothing failed.
func noneFailed(t *testing.T, r reply) {
	t.Helper()
	r.ok(t)
	jsonEqual(t, r.Data, []byte(`{"failed_devices_set":[]}`))
}

var demoGroup = map[string]any{"id": "1"}

// TestDemoGroupIDIsOne pins what the other tests assume: the demo operator
// is group "1".
func TestDemoGroupIDIsOne(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	org, err := e.stores.Tenancy.OrganisationByName(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.stores.Tenancy.OperatorByName(ctx, org.ID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if op.ID != 1 {
		t.Fatalf("demo operator id = %d, want 1", op.ID)
	}
}

func TestRegisterDevicesByGroupIdentifier(t *testing.T) {
	t.Parallel()
	e := setup(t)
	org, err := e.stores.Tenancy.OrganisationByName(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	partner, err := e.stores.Tenancy.CreateOperator(context.Background(), carebridge.Operator{
		OrganisationID: org.ID, Name: "partner", AlternativeCode: "ALT-7", CreatedAt: docTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	partnerByID := map[string]any{"id": strconv.FormatInt(partner.ID, 10)}

	tests := []struct {
		name    string
		group   map[string]any
		same    map[string]any // another identifier of the same operator
		another map[string]any // a different operator's
	}{
		{"id", map[string]any{"id": "1"}, map[string]any{"name": "demo"}, partnerByID},
		{"name", map[string]any{"name": "demo"}, map[string]any{"id": "1"}, map[string]any{"name": "partner"}},
		{"alternative_code", map[string]any{"alternative_code": "ALT-7"}, partnerByID, map[string]any{"id": "1"}},
		{"null fields ignored", map[string]any{"id": nil, "name": "partner", "alternative_code": nil}, map[string]any{"alternative_code": "ALT-7"}, map[string]any{"name": "demo"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := e.as(t)
			esns := []string{"BY-" + tc.name + "-1", "BY-" + tc.name + "-2"}
			esns[0] = strings.ReplaceAll(esns[0], " ", "_")
			esns[1] = strings.ReplaceAll(esns[1], " ", "_")
			noneFailed(t, e.callDevices(registerDevices, "", tc.group, esns...))
			// Registered to that operator, not another: the other cannot
			// unregister them, and its own identifier can.
			wantFailed(t, e.callDevices(unregisterDevices, "", tc.another, esns...), esns...)
			noneFailed(t, e.callDevices(unregisterDevices, "", tc.same, esns...))
			wantFailed(t, e.callDevices(unregisterDevices, "", tc.group, esns...), esns...)
		})
	}
}

// TestRegisterDevicesAnswer compares the whole envelope of a success.
func TestRegisterDevicesAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.callDevices(registerDevices, "", demoGroup, "EXACT-1")
	if r.HTTP != http.StatusOK {
		t.Fatalf("HTTP %d", r.HTTP)
	}
	jsonEqual(t, r.Raw, []byte(`{"data":{"failed_devices_set":[]},"status":{"code":"OK","description":"","message":""}}`))
	r = e.callDevices(unregisterDevices, "", demoGroup, "EXACT-1", "EXACT-2")
	jsonEqual(t, r.Raw, []byte(`{"data":{"failed_devices_set":[{"esn":"EXACT-2"}]},"status":{"code":"OK","description":"","message":""}}`))
}

func TestRegisterDevicesFailures(t *testing.T) {
	t.Parallel()
	e := setup(t)
	globex := e.addTenant("globex", "gx", "eve")
	gxGroup := map[string]any{"name": "gx"}

	t.Run("own again", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		noneFailed(t, e.callDevices(registerDevices, "", demoGroup, "OWN-1", "OWN-2"))
		noneFailed(t, e.callDevices(registerDevices, "", demoGroup, "OWN-2", "OWN-1", "OWN-3"))
		noneFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "OWN-1", "OWN-2", "OWN-3"))
	})

	t.Run("duplicates in the request", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		wantFailed(t, e.callDevices(registerDevices, "", demoGroup, "DUP-A", "DUP-B", "DUP-A", "DUP-C", "DUP-A"), "DUP-A")
		// DUP-A was not applied at all; the others were.
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "DUP-C", "DUP-A", "DUP-B"), "DUP-A")
		// Unregister refuses duplicates the same way, applying the rest.
		noneFailed(t, e.callDevices(registerDevices, "", demoGroup, "DUP-D", "DUP-E"))
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "DUP-D", "DUP-E", "DUP-D"), "DUP-D")
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "DUP-E", "DUP-D"), "DUP-E")
	})

	t.Run("another operator's", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		noneFailed(t, e.callDevices(registerDevices, globex, gxGroup, "GX-2", "GX-1"))
		wantFailed(t, e.callDevices(registerDevices, "", demoGroup, "MINE-1", "GX-1", "MINE-2", "GX-2", "MINE-3"), "GX-1", "GX-2")
		// Which were applied: demo holds MINE-*, not GX-*.
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "GX-1", "MINE-1", "MINE-2", "GX-2", "MINE-3"), "GX-1", "GX-2")
		// globex keeps its devices.
		noneFailed(t, e.callDevices(unregisterDevices, globex, gxGroup, "GX-1", "GX-2"))
	})

	t.Run("invalid ESNs", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		long := strings.Repeat("L", 129)
		// A device without its esn is a missing parameter, not a failed device.
		e.callDevices(registerDevices, "", demoGroup, "INV-1", "has space", "").
			fails(t, http.StatusBadRequest, "MISSING_PARAMETER", "devices[2].esn")
		got := failedESNs(t, e.callDevices(registerDevices, "", demoGroup, "INV-1", "has space", "INV-2", long, "caf\u00e9", strings.Repeat("M", 128)))
		want := []string{"has space", long, "caf\u00e9"}
		if !slices.Equal(got, want) {
			t.Fatalf("failed = %q, want %q", got, want)
		}
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "INV-2", "INV-1", strings.Repeat("M", 128)))
	})

	t.Run("mixed kinds", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		noneFailed(t, e.callDevices(registerDevices, globex, gxGroup, "MIX-TAKEN"))
		got := failedESNs(t, e.callDevices(registerDevices, "", demoGroup, "MIX-TAKEN", "MIX-OK", "MIX DUP", "MIX-D", "MIX-D"))
		// The three kinds of failure are each reported once, in the order
		// the request first named them.
		if want := []string{"MIX-TAKEN", "MIX DUP", "MIX-D"}; !slices.Equal(got, want) {
			t.Fatalf("failed = %q, want %q", got, want)
		}
		noneFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "MIX-OK"))
	})

	t.Run("unregister never registered", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		r := e.callDevices(unregisterDevices, "", demoGroup, "NEVER-2", "NEVER-1")
		r.ok(t)
		jsonEqual(t, r.Data, []byte(`{"failed_devices_set":[{"esn":"NEVER-2"},{"esn":"NEVER-1"}]}`))
		// Another operator's cannot be unregistered through one's own group.
		noneFailed(t, e.callDevices(registerDevices, globex, gxGroup, "GX-KEEP"))
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "GX-KEEP"), "GX-KEEP")
		wantFailed(t, e.callDevices(registerDevices, "", demoGroup, "GX-KEEP"), "GX-KEEP")
		noneFailed(t, e.callDevices(unregisterDevices, globex, gxGroup, "GX-KEEP"))
	})
}

func TestRegisterDevicesGroupScope(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// Another organisation whose operator is even called "demo".
	globex := e.addTenant("globex", "demo", "eve")
	ctx := context.Background()
	gorg, err := e.stores.Tenancy.OrganisationByName(ctx, "globex")
	if err != nil {
		t.Fatal(err)
	}
	gop, err := e.stores.Tenancy.OperatorByName(ctx, gorg.ID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: gorg.ID, Name: "globex-only", AlternativeCode: "GXO", CreatedAt: docTime}); err != nil {
		t.Fatal(err)
	}
	// Another operator of the demo organisation.
	mallory := e.addTenant("demo", "reseller", "mallory")

	t.Run("other organisation's group", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		for _, m := range []string{registerDevices, unregisterDevices} {
			for _, g := range []map[string]any{
				{"id": strconv.FormatInt(gop.ID, 10)},
				{"name": "globex-only"},
				{"alternative_code": "GXO"},
			} {
				e.callDevices(m, "", g, "SCOPE-1").fails(t, http.StatusNotFound, "NOT_FOUND")
			}
			// And the other way round: group 1 is not globex's.
			e.callDevices(m, globex, demoGroup, "SCOPE-1").fails(t, http.StatusNotFound, "NOT_FOUND")
		}
		// A name resolves within the caller's organisation: both have a "demo".
		noneFailed(t, e.callDevices(registerDevices, globex, map[string]any{"name": "demo"}, "SCOPE-G"))
		wantFailed(t, e.callDevices(unregisterDevices, "", map[string]any{"name": "demo"}, "SCOPE-G"), "SCOPE-G")
		noneFailed(t, e.callDevices(unregisterDevices, globex, map[string]any{"id": strconv.FormatInt(gop.ID, 10)}, "SCOPE-G"))
		// Nothing was registered by the refused calls.
		wantFailed(t, e.callDevices(unregisterDevices, globex, map[string]any{"name": "globex-only"}, "SCOPE-1"), "SCOPE-1")
	})

	t.Run("unknown group", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		for _, g := range []map[string]any{
			{"id": "999999"},
			{"id": "abc"},
			{"id": "1.0"},
			{"id": "0"},
			{"name": "nobody"},
			{"alternative_code": "NOPE"},
		} {
			for _, m := range []string{registerDevices, unregisterDevices} {
				e.callDevices(m, "", g, "UNKNOWN-1").fails(t, http.StatusNotFound, "NOT_FOUND")
			}
		}
	})

	t.Run("same organisation, other operator", func(t *testing.T) {
		t.Parallel()
		e := e.as(t)
		// The group must be an operator of the caller's organisation.
		noneFailed(t, e.callDevices(registerDevices, "", map[string]any{"name": "reseller"}, "RES-1", "RES-2"))
		// They are the reseller's, not demo's.
		wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "RES-1", "RES-2"), "RES-1", "RES-2")
		wantFailed(t, e.callDevices(registerDevices, "", demoGroup, "RES-1"), "RES-1")
		noneFailed(t, e.callDevices(unregisterDevices, mallory, map[string]any{"name": "reseller"}, "RES-1"))
		// And the reseller's user may act on demo's group in turn.
		noneFailed(t, e.callDevices(registerDevices, mallory, demoGroup, "RES-3"))
		noneFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "RES-3"))
		noneFailed(t, e.callDevices(unregisterDevices, "", map[string]any{"name": "reseller"}, "RES-2"))
	})
}

func TestDevicesParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"esn": fmt.Sprintf("PARAM-%04d", i)}
	}
	dev := devicesParam("PARAM-X")
	tests := []struct {
		name   string
		params map[string]any
		status int
		code   string
		words  []string
	}{
		{"group_identifier missing", map[string]any{"devices": dev},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"group_identifier"}},
		{"group_identifier null", map[string]any{"group_identifier": nil, "devices": dev},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"group_identifier"}},
		{"group_identifier empty", map[string]any{"group_identifier": map[string]any{}, "devices": dev},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"group_identifier"}},
		{"group_identifier id empty string", map[string]any{"group_identifier": map[string]any{"id": ""}, "devices": dev},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"group_identifier"}},
		{"two fields", map[string]any{"group_identifier": map[string]any{"id": "1", "name": "demo"}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier"}},
		{"three fields", map[string]any{"group_identifier": map[string]any{"id": "1", "name": "demo", "alternative_code": "x"}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier"}},
		{"id as a number", map[string]any{"group_identifier": map[string]any{"id": 1}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier.id"}},
		{"name as a number", map[string]any{"group_identifier": map[string]any{"name": 7}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier.name"}},
		{"group_identifier a string", map[string]any{"group_identifier": "1", "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier"}},
		{"group_identifier an array", map[string]any{"group_identifier": []any{map[string]any{"id": "1"}}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier"}},
		{"unknown group field", map[string]any{"group_identifier": map[string]any{"id": "1", "code": "x"}, "devices": dev},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"group_identifier.code"}},
		{"devices missing", map[string]any{"group_identifier": demoGroup},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"devices"}},
		{"devices null", map[string]any{"group_identifier": demoGroup, "devices": nil},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"devices"}},
		{"devices empty", map[string]any{"group_identifier": demoGroup, "devices": []any{}},
			http.StatusBadRequest, "MISSING_PARAMETER", []string{"devices"}},
		{"devices a string", map[string]any{"group_identifier": demoGroup, "devices": "PARAM-X"},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices"}},
		{"devices an object", map[string]any{"group_identifier": demoGroup, "devices": map[string]any{"esn": "PARAM-X"}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices"}},
		{"element a string", map[string]any{"group_identifier": demoGroup, "devices": []any{"PARAM-X"}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[0]"}},
		{"second element a number", map[string]any{"group_identifier": demoGroup, "devices": []any{map[string]any{"esn": "PARAM-X"}, 5}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[1]"}},
		{"element null", map[string]any{"group_identifier": demoGroup, "devices": []any{nil}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[0]"}},
		{"esn a number", map[string]any{"group_identifier": demoGroup, "devices": []any{map[string]any{"esn": 12345}}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[0].esn"}},
		{"esn an array", map[string]any{"group_identifier": demoGroup, "devices": []any{map[string]any{"esn": "PARAM-X"}, map[string]any{"esn": []any{"a"}}}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[1].esn"}},
		{"unknown device field", map[string]any{"group_identifier": demoGroup, "devices": []any{map[string]any{"esn": "PARAM-X", "model": "TV"}}},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices[0].model"}},
		{"unknown parameter", map[string]any{"group_identifier": demoGroup, "devices": dev, "operator": "demo"},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"operator"}},
		{"1001 devices", map[string]any{"group_identifier": demoGroup, "devices": many},
			http.StatusBadRequest, "INVALID_PARAMETER", []string{"devices", "1000"}},
		{"no token", map[string]any{"token": nil, "group_identifier": demoGroup, "devices": dev},
			http.StatusUnauthorized, "INVALID_TOKEN", nil},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tc := range tests {
			for _, m := range []string{registerDevices, unregisterDevices} {
				t.Run(tc.name+"/"+m[strings.LastIndex(m, "/")+1:], func(t *testing.T) {
					t.Parallel()
					e.as(t).post(m, tc.params).fails(t, tc.status, tc.code, tc.words...)
				})
			}
		}
	})
	// None of the refused requests registered anything.
	got := failedESNs(t, e.callDevices(unregisterDevices, "", demoGroup, "PARAM-X", "PARAM-0000", "PARAM-1000"))
	if want := []string{"PARAM-X", "PARAM-0000", "PARAM-1000"}; !slices.Equal(got, want) {
		t.Fatalf("refused requests registered devices: failed = %q, want %q", got, want)
	}
}

func TestDevicesThousand(t *testing.T) {
	t.Parallel()
	e := setup(t)
	esns := make([]string, 1000)
	for i := range esns {
		esns[i] = fmt.Sprintf("K%03d-%s", i, strings.Repeat("z", 100))
	}
	noneFailed(t, e.callDevices(registerDevices, "", demoGroup, esns...))
	noneFailed(t, e.callDevices(registerDevices, "", map[string]any{"name": "demo"}, esns...))
	noneFailed(t, e.callDevices(unregisterDevices, "", demoGroup, esns...))
	wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, esns...), esns...)
}

func TestDevicesServiceUnavailable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.app.Host.SetState(netflix.Callsign, host.Deactivated); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{registerDevices, unregisterDevices} {
		e.callDevices(m, "", demoGroup, "OFF-1").fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Netflix")
	}
	if _, err := e.app.Host.SetState(netflix.Callsign, host.Activated); err != nil {
		t.Fatal(err)
	}
	// The refused register applied nothing.
	wantFailed(t, e.callDevices(unregisterDevices, "", demoGroup, "OFF-1"), "OFF-1")
	noneFailed(t, e.callDevices(registerDevices, "", demoGroup, "OFF-1"))
}

func TestDevicesMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, m := range []string{registerDevices, unregisterDevices} {
		r := e.get(m, nil)
		r.fails(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST")
		if got := r.Header.Get("Allow"); got != "POST" {
			t.Fatalf("%s: Allow = %q, want POST", m, got)
		}
		req, err := http.NewRequest(http.MethodPut, e.url+m, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		e.do(req).fails(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST")
	}
}
