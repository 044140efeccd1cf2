package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/cli"
	"carebridge/internal/demo"
)

// A credential ended through the command line (its own process, in
// effect: stores of its own) is refused at once by another replica, and
// that replica closes the WebSockets opened with it: the command line
// announces the change over the bus.
func TestCredentialsEndOnEveryReplica(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	ctx := context.Background()
	const opsSecret = "replicated-ops-token"
	if err := c.a.stores.Tenancy.CreateAdminToken(ctx, carebridge.AdminToken{Name: "robot", Role: carebridge.RoleOps, CreatedAt: c.base},
		auth.HashToken(opsSecret)); err != nil {
		t.Fatal(err)
	}
	careToken := c.a.careLogin(t, demo.CareAgent)

	for _, step := range []struct {
		name  string
		token string
		args  []string
	}{
		{"admin-token revoke", opsSecret, []string{"admin-token", "revoke", "--name", "robot"}},
		{"user disable", careToken, []string{"user", "disable", "--org", demo.Organisation, "--operator", demo.Operator, "--username", demo.CareAgent}},
	} {
		ws := c.b.dialWith(t, step.token)
		if status := c.b.planeStatus(t, step.token); status != http.StatusOK {
			t.Fatalf("%s: before, HTTP %d on B", step.name, status)
		}
		var out, errOut bytes.Buffer
		if code := cli.Run(ctx, append(step.args, "--db", c.dbURL), strings.NewReader(""), &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d: %s%s", step.name, code, out.String(), errOut.String())
		}
		if status := c.b.planeStatus(t, step.token); status != http.StatusUnauthorized {
			t.Errorf("%s: after, HTTP %d on B; want 401", step.name, status)
		}
		if code := ws.closeStatus(t); code != websocket.StatusPolicyViolation {
			t.Errorf("%s: B's WebSocket closed with %d; want 1008", step.name, code)
		}
	}
}

// careLogin logs a demo care user (password: its name) in through r.
func (r *replica) careLogin(t *testing.T, user string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"organisation": demo.Organisation, "username": user, "password": user})
	res, err := r.srv.Client().Post(r.srv.URL+"/care/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s struct{ Token string }
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &s) != nil {
		t.Fatalf("replica %s: care login: %d %s", r.name, res.StatusCode, b)
	}
	return s.Token
}

// planeStatus is the HTTP status of Controller.1.status called with token.
func (r *replica) planeStatus(t *testing.T, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/jsonrpc", bytes.NewReader(rpcRequest(t, 1, "Controller.1.status", nil)))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// openSocket is a WebSocket whose close status can be waited for.
type openSocket struct {
	done chan error
}

// dialWith opens a WebSocket to r with token and reads it until it ends.
func (r *replica) dialWith(t *testing.T, token string) *openSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(r.srv.URL, "http")+"/jsonrpc?token="+url.QueryEscape(token), nil)
	if err != nil {
		t.Fatalf("replica %s: dial: %v", r.name, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	s := &openSocket{done: make(chan error, 1)}
	go func() {
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				s.done <- err
				return
			}
		}
	}()
	return s
}

// closeStatus waits for the server to close the socket.
func (s *openSocket) closeStatus(t *testing.T) websocket.StatusCode {
	t.Helper()
	select {
	case err := <-s.done:
		return websocket.CloseStatus(err)
	case <-time.After(replicaWait):
		t.Fatalf("WebSocket still open after %v", replicaWait)
	}
	return -1
}
