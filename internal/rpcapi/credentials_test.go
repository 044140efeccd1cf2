package rpcapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// A credential ended by another process (the command line, with stores of
// its own) is refused on the next call over HTTP and over an open
// WebSocket, and the WebSockets opened with it are closed (1008) without
// a call: the server reads the store's count of such changes.
func TestCredentialsEndedElsewhere(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		other := testserver.OpenStores(t, p.srv.DB) // as the command line would
		ctx := context.Background()
		org, err := other.Tenancy.OrganisationByName(ctx, demo.Organisation)
		if err != nil {
			t.Fatal(err)
		}
		user := func(name string) carebridge.User {
			u, err := other.Tenancy.UserByName(ctx, org.ID, name)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		cases := []struct {
			name  string
			role  carebridge.Role
			end   func() error
			token func() string
		}{
			{"admin token revoked", carebridge.RoleOps, func() error { return other.Tenancy.RevokeAdminToken(ctx, "robot") }, nil},
			{"care agent disabled", carebridge.RoleCare, func() error { return other.Tenancy.DisableUser(ctx, user(demo.CareAgent).ID, time.Now()) }, nil},
			{"supervisor made api", carebridge.RoleSupervisor, func() error {
				return other.Tenancy.SetUserRole(ctx, user(demo.Supervisor).ID, carebridge.RoleAPI, time.Now(), carebridge.AudiencesRefusing(carebridge.RoleAPI))
			}, nil},
		}
		for _, c := range cases {
			token := p.tokens[c.role]
			idle := p.ws(token)   // closed without a call
			active := p.ws(token) // calling until it is closed
			if a := active.call(1, "Controller.1.status", nil); a.Error != nil {
				t.Fatalf("%s: before: %s", c.name, a.Raw)
			}
			if err := c.end(); err != nil {
				t.Fatal(err)
			}
			// HTTP reads the credential on every call: refused at once.
			if status, b := p.post("/jsonrpc", token, []byte(request(t, 1, "Controller.1.status", nil))); status != http.StatusUnauthorized {
				t.Errorf("%s: HTTP call after: %d %s", c.name, status, b)
			}
			// A WebSocket is closed once the server has seen the change.
			active.write(request(t, 2, "Controller.1.status", nil))
			for name, w := range map[string]*wsClient{"idle": idle, "active": active} {
				if code := w.closedAfterAnswers(); code != websocket.StatusPolicyViolation {
					t.Errorf("%s: %s WebSocket closed with %d, want 1008", c.name, name, code)
				}
			}
			e := &env{t: t, srv: p.srv.HTTP}
			if _, res, err := e.dialRaw("/jsonrpc", token); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: upgrade after: %v %v", c.name, res, err)
			}
		}
		// The others are untouched.
		p.ok(p.tokens[carebridge.RoleAdmin], "Controller.1.status", nil, nil)
	})
}

// closedAfterAnswers waits for the server to end the connection, passing
// over the answers to calls made before it noticed, and returns the close
// status.
func (w *wsClient) closedAfterAnswers() websocket.StatusCode {
	w.t.Helper()
	for {
		select {
		case <-w.msgs:
		case err := <-w.done:
			return websocket.CloseStatus(err)
		case <-time.After(waitFor):
			w.t.Fatalf("connection still open after %v", waitFor)
		}
	}
}

// A care session ends with its logout, its WebSockets with it; and with
// its lifetime.
func TestCareSessionEnds(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now())
	p := startPlane(t, testdb.SQLitePath(t), func(c *serverConfig) { c.Now = clock.Now; c.CareSessionLifetime = time.Hour })
	token := p.login(demo.Organisation, demo.CareAgent, demo.CareAgent)
	w := p.ws(token)
	if status, b := p.post("/care/logout", token, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", status, b)
	}
	if code := w.closed(); code != websocket.StatusPolicyViolation {
		t.Errorf("after logout: closed with %d, want 1008", code)
	}
	if status, _ := p.post("/jsonrpc", token, []byte(request(t, 1, "Controller.1.status", nil))); status != http.StatusUnauthorized {
		t.Errorf("after logout: HTTP %d", status)
	}

	token = p.login(demo.Organisation, demo.CareAgent, demo.CareAgent)
	w = p.ws(token)
	if a := w.call(1, "Controller.1.status", nil); a.Error != nil {
		t.Fatal(string(a.Raw))
	}
	clock.Advance(time.Hour)
	if code := w.closed(); code != websocket.StatusPolicyViolation {
		t.Errorf("after expiry: closed with %d, want 1008", code)
	}
	if status, _ := p.post("/jsonrpc", token, []byte(request(t, 1, "Controller.1.status", nil))); status != http.StatusUnauthorized {
		t.Errorf("after expiry: HTTP %d", status)
	}
}

// An admin token past its lifetime is refused; its last use is recorded.
func TestAdminTokenLifetime(t *testing.T) {
	t.Parallel()
	clock := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
	p := startPlane(t, testdb.SQLitePath(t), func(c *serverConfig) { c.Now = clock.Now })
	ctx := context.Background()
	const secret = "short-lived-admin-token"
	if err := p.srv.Stores.Tenancy.CreateAdminToken(ctx, carebridge.AdminToken{Name: "short", Role: carebridge.RoleAdmin,
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}, auth.HashToken(secret)); err != nil {
		t.Fatal(err)
	}
	p.ok(secret, "Controller.1.status", nil, nil)
	tok, err := p.srv.Stores.Tenancy.AdminToken(ctx, auth.HashToken(secret))
	if err != nil || !tok.LastUsedAt.Equal(clock.Now()) {
		t.Fatalf("last used %v, %v; want %v", tok.LastUsedAt, err, clock.Now())
	}
	w := p.ws(secret)
	clock.Advance(time.Hour)
	if status, _ := p.post("/jsonrpc", secret, []byte(request(t, 1, "Controller.1.status", nil))); status != http.StatusUnauthorized {
		t.Errorf("expired admin token: HTTP %d", status)
	}
	if code := w.closed(); code != websocket.StatusPolicyViolation {
		t.Errorf("expired admin token's WebSocket closed with %d, want 1008", code)
	}
}
