package rpcapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/testdb"
)

// cells is the table of roles, method by method. Each call is made with
// params that let an allowed call go no further than its parameter check
// (or answer without changing anything), so that a refusal (-32604) and an
// allowed call tell apart without side effects.
var cells = []struct {
	method string
	params any
	roles  []carebridge.Role
}{
	{"Controller.1.status", nil, []carebridge.Role{"care", "supervisor", "ops", "admin"}},
	{"Controller.1.services", nil, []carebridge.Role{"care", "supervisor", "ops", "admin"}},
	{"Controller.1.activate", map[string]any{}, []carebridge.Role{"ops", "admin"}},
	{"Controller.1.deactivate", map[string]any{}, []carebridge.Role{"ops", "admin"}},
	{"Netflix.1.find", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.customer", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.history", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.suspend", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.unsuspend", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.reissueToken", map[string]any{}, []carebridge.Role{"care", "supervisor"}},
	{"Netflix.1.cancel", map[string]any{}, []carebridge.Role{"supervisor"}},
	{"Netflix.1.overview", nil, []carebridge.Role{"supervisor"}},
	{"Netflix.1.factoryReset", []int{1}, []carebridge.Role{"admin"}},
	{"OCP.1.factoryReset", []int{1}, []carebridge.Role{"admin"}},
	{"CustomerCareOperations.1.factoryReset", []int{1}, []carebridge.Role{"admin"}},
	{"Netflix.1.register", map[string]any{"event": "subscriptionchange", "id": "x"}, []carebridge.Role{"care", "supervisor"}},
	{"Controller.1.register", map[string]any{"event": "statechange", "id": "x"}, []carebridge.Role{"care", "supervisor", "ops", "admin"}},
	{"Netflix.1.versions", nil, []carebridge.Role{"care", "supervisor", "ops", "admin"}},
	{"OCP.1.exists", map[string]any{"method": "factoryReset"}, []carebridge.Role{"care", "supervisor", "ops", "admin"}},
}

var planeRoles = []carebridge.Role{carebridge.RoleCare, carebridge.RoleSupervisor, carebridge.RoleOps, carebridge.RoleAdmin}

// Every cell of the table of roles, over HTTP and over the WebSocket, on
// both engines: a call outside the caller's role answers -32604, one
// inside it anything else.
func TestPermissionTable(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		for _, role := range planeRoles {
			ws := p.ws(p.tokens[role])
			for i, c := range cells {
				allowed := false
				for _, r := range c.roles {
					allowed = allowed || r == role
				}
				// register needs a connection: over HTTP an allowed one
				// answers -32604 too, so only the WebSocket tells.
				overHTTP := c.method != "Netflix.1.register" && c.method != "Controller.1.register"
				answers := map[string]answer{"ws": ws.call(i+1, c.method, c.params)}
				if overHTTP {
					answers["http"] = p.rpc(p.tokens[role], c.method, c.params)
				}
				for transport, a := range answers {
					refused := a.Error != nil && a.Error.Code == jsonrpc.CodeNotAllowed
					if refused == allowed {
						t.Errorf("%s %s over %s: %s; allowed: %v", role, c.method, transport, a.Raw, allowed)
					}
					if refused && a.Error.Message != "Method invocation not allowed." {
						t.Errorf("%s %s: message %q", role, c.method, a.Error.Message)
					}
				}
			}
		}
		// Nothing was wiped or switched by the calls the roles were allowed.
		var plugins []struct{ Callsign, State string }
		p.ok(demo.AdminToken, "Controller.1.status", nil, &plugins)
		for _, pl := range plugins {
			if pl.State != "Activated" {
				t.Errorf("%s is %s after the table", pl.Callsign, pl.State)
			}
		}
	})
}

// An api user's CRM.COM token opens nothing on the plane, over HTTP or a
// WebSocket; a care token opens nothing on the CRM.COM face.
func TestPlaneRefusesOtherAudiences(t *testing.T) {
	t.Parallel()
	p := startPlane(t, testdb.SQLitePath(t))
	body := []byte(`{"organisation":"demo","username":"demo","password":"demo"}`)
	status, b := p.post("/crmapi/rest/v2/authentication/token", "", body)
	if status != http.StatusOK {
		t.Fatalf("CRM.COM login: %d %s", status, b)
	}
	crmToken := crmTokenOf(t, b)
	if status, b := p.post("/jsonrpc", crmToken, []byte(request(t, 1, "Controller.1.status", nil))); status != http.StatusUnauthorized {
		t.Errorf("CRM.COM token on the plane: HTTP %d %s", status, b)
	}
	e := &env{t: t, srv: p.srv.HTTP}
	if _, res, err := e.dialRaw("/jsonrpc", crmToken); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("CRM.COM token on the WebSocket upgrade: %v, %v", res, err)
	}
	care := p.tokens[carebridge.RoleCare]
	res, err := p.srv.HTTP.Client().Get(p.srv.HTTP.URL + "/crmapi/rest/v2/netflix/promotions/list?token=" + care)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"INVALID_TOKEN"`) {
		t.Errorf("care token on the CRM.COM face: HTTP %d %s", res.StatusCode, b)
	}
}

// crmTokenOf reads the token of a CRM.COM login's envelope.
func crmTokenOf(t *testing.T, b []byte) string {
	t.Helper()
	var env struct{ Data struct{ Token string } }
	if err := json.Unmarshal(b, &env); err != nil || env.Data.Token == "" {
		t.Fatalf("login answer %s", b)
	}
	return env.Data.Token
}
