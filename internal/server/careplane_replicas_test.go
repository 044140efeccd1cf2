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
	"carebridge/internal/money"
	"carebridge/internal/netflix"
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
	careToken := c.a.careLogin(t, demo.CareAgent, demo.CareAgent)

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

// The Netflix plugin's events reach a care agent on every replica: a
// change made through A (the CRM.COM face, the care plane, intake) is
// heard on B by the agents of the operator concerned, and by no other.
func TestCareEventsOnEveryReplica(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	other := c.addUser(t, "other-operator", "other-agent", "other-password")
	ctx := context.Background()
	u, err := c.a.stores.Tenancy.UserByName(ctx, c.op.OrganisationID, "other-agent")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.a.stores.Tenancy.SetUserRole(ctx, u.ID, carebridge.RoleCare, c.base, nil); err != nil {
		t.Fatal(err)
	}
	agent := c.b.dialAs(t, c.a.careLogin(t, demo.CareAgent, demo.CareAgent))
	stranger := c.b.dialAs(t, c.a.careLogin(t, "other-agent", "other-password"))
	for _, w := range []*wsClient{agent, stranger} {
		w.waitHearing(c.a)
		for _, event := range []string{"subscriptionchange", "chargechange"} {
			if got := w.call("Netflix.1.register", map[string]any{"event": event, "id": "n"}); string(got) != "null" {
				t.Fatalf("register %s: %s", event, got)
			}
		}
	}

	// Through A's CRM.COM face, then A's care plane, then A's intake.
	c.a.mustCRM(t, http.MethodPost, "netflix/subscriptions/suspend", map[string]any{"token": c.tokenA, "billing_system_customer_identifier": "pci150"})
	var sub struct {
		Customer, Actor string
		State           string `json:"life_cycle_state"`
	}
	notification(t, agent.next(), "n.subscriptionchange", &sub)
	if sub.Customer != "pci150" || sub.State != "NOT_EFFECTIVE" || sub.Actor != demo.Username {
		t.Fatalf("B heard %+v", sub)
	}
	if _, err := c.a.app.Netflix.CareTransition(ctx, carebridge.Caller{UserID: 1, Username: "agent-on-a", OperatorID: c.op.ID, OrganisationID: c.op.OrganisationID},
		"pci150", netflix.ActionUnsuspend, "Paid."); err != nil {
		t.Fatal(err)
	}
	notification(t, agent.next(), "n.subscriptionchange", &sub)
	if sub.State != "EFFECTIVE" || sub.Actor != "agent-on-a" {
		t.Fatalf("B heard %+v", sub)
	}
	if _, err := c.a.app.Netflix.Ingest(ctx, other.ID, []netflix.NewCharge{{PartnerChargeID: "o-1", Customer: "theirs",
		Amount: money.Amount{Minor: 100, Currency: "EUR"}, ReceivedOn: c.base}}, ""); err != nil {
		t.Fatal(err)
	}
	var ch struct{ Customer, Number string }
	// The other operator's agent hears its charge first: nothing of the
	// demo operator's came before it.
	notification(t, stranger.next(), "n.chargechange", &ch)
	if ch.Customer != "theirs" {
		t.Fatalf("the other operator's agent heard %+v", ch)
	}
}

// notification decodes a notification of method.
func notification(t *testing.T, raw []byte, method string, v any) {
	t.Helper()
	var m struct {
		Method string
		Params json.RawMessage
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Method != method || json.Unmarshal(m.Params, v) != nil {
		t.Fatalf("got %s; want a notification of %s", raw, method)
	}
}

// careLogin logs a care user of the demo organisation in through r.
func (r *replica) careLogin(t *testing.T, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"organisation": demo.Organisation, "username": user, "password": password})
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
