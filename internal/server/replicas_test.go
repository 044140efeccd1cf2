package server_test

// Several replicas sharing one PostgreSQL database must behave exactly like
// one server. Each test starts two (or three) real servers on one fresh
// schema: every replica has its own pool, its own background work (charge
// processor, LISTEN bus) and its own HTTP server, and they meet only in the
// database. The tests are skipped without CAREBRIDGE_TEST_POSTGRES.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgxpool"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/events"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// replicaWait bounds every wait of these tests; running out of it fails the
// test. Nothing is timed.
const replicaWait = 30 * time.Second

const crmPrefix = "/crmapi/rest/v2/"

// replica is one running server process.
type replica struct {
	name   string
	app    *server.Server
	stores *server.Stores
	srv    *httptest.Server
}

// replicaOption adjusts a server after New and before Start.
type replicaOption func(*server.Server)

// startReplica opens the stores on dbURL (a pool of its own), builds the
// server, starts its background work and serves its handler; everything is
// stopped, and waited for, when the test ends.
func startReplica(t *testing.T, name, dbURL string, now func() time.Time, opts ...replicaOption) *replica {
	t.Helper()
	stores, err := server.OpenStores(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("replica %s: OpenStores: %v", name, err)
	}
	t.Cleanup(func() { stores.Close() })
	if stores.Bus == nil {
		t.Fatalf("replica %s: PostgreSQL stores without an event bus", name)
	}
	// Tokens are cached for an hour: a token ended on another replica is
	// refused here only because that replica announced it.
	app, err := server.New(stores, server.Config{Now: now, TokenCacheTTL: time.Hour})
	if err != nil {
		t.Fatalf("replica %s: New: %v", name, err)
	}
	for _, o := range opts {
		o(app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := app.Start(ctx)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		done := make(chan struct{})
		go func() { stopped(); close(done) }()
		select {
		case <-done:
		case <-time.After(replicaWait):
			t.Errorf("replica %s: background work did not stop within %v", name, replicaWait)
		}
	})
	return &replica{name: name, app: app, stores: stores, srv: srv}
}

// cluster is two replicas, A and B, on one database loaded with the demo
// data through A, with the demo user logged in on each.
type cluster struct {
	dbURL  string
	now    func() time.Time
	base   time.Time
	a, b   *replica
	op     carebridge.Operator // the demo operator
	tokenA string              // the demo user's token from A
	tokenB string              // the demo user's token from B
	pool   *pgxpool.Pool       // the test's own look at the database
}

func setupCluster(t *testing.T, opts ...replicaOption) *cluster {
	t.Helper()
	dbURL := testdb.PostgresURL(t)
	// One clock for every replica: the same instant, so that nothing depends
	// on when a request happens to run.
	base := time.Now().UTC().Truncate(time.Second)
	now := func() time.Time { return base }
	c := &cluster{dbURL: dbURL, now: now, base: base}
	c.a = startReplica(t, "A", dbURL, now, opts...)
	c.b = startReplica(t, "B", dbURL, now, opts...)
	op, loaded, err := demo.Load(context.Background(),
		demo.Services{Tenancy: c.a.stores.Tenancy, Netflix: c.a.app.Netflix, OCP: c.a.app.OCP}, time.Now())
	if err != nil || !loaded {
		t.Fatalf("demo.Load through A = %v, %v", loaded, err)
	}
	c.op = op
	c.tokenA = c.a.login(t, demo.Organisation, demo.Username, demo.Password)
	c.tokenB = c.b.login(t, demo.Organisation, demo.Username, demo.Password)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c.pool = pool
	return c
}

// addUser creates an operator of the demo organisation with a user, through
// the stores of A.
func (c *cluster) addUser(t *testing.T, operator, username, password string) carebridge.Operator {
	t.Helper()
	ctx := context.Background()
	op, err := c.a.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: c.op.OrganisationID, Name: operator, CreatedAt: c.base})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.a.stores.Tenancy.CreateUser(ctx, carebridge.User{
		OrganisationID: c.op.OrganisationID, OperatorID: op.ID, Username: username, PasswordHash: hash, CreatedAt: c.base,
	}); err != nil {
		t.Fatal(err)
	}
	return op
}

// queryInt runs a query answering one integer.
func (c *cluster) queryInt(t *testing.T, query string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	var n int
	if err := c.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// queryPairs runs a query answering (key, integer) rows.
func (c *cluster) queryPairs(t *testing.T, query string, args ...any) map[string]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	rows, err := c.pool.Query(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("%s: key %q twice", query, k)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ---- the CRM.COM face ----

// crmReply is a decoded envelope.
type crmReply struct {
	Replica string
	HTTP    int
	Raw     []byte
	Data    json.RawMessage
	Code    string
	Message string
}

func (r crmReply) String() string {
	return fmt.Sprintf("replica %s: HTTP %d %s", r.Replica, r.HTTP, r.Raw)
}

// crm calls a method of the face; GET parameters go in the query, POST
// parameters in a JSON body. It is safe in any goroutine: it reports
// failures instead of failing the test.
func (r *replica) crm(ctx context.Context, verb, method string, params map[string]any) (crmReply, error) {
	var req *http.Request
	var err error
	if verb == http.MethodGet {
		q := url.Values{}
		for k, v := range params {
			q.Set(k, fmt.Sprint(v))
		}
		req, err = http.NewRequestWithContext(ctx, verb, r.srv.URL+crmPrefix+method+"?"+q.Encode(), nil)
	} else {
		var body []byte
		if body, err = json.Marshal(params); err != nil {
			return crmReply{}, err
		}
		req, err = http.NewRequestWithContext(ctx, verb, r.srv.URL+crmPrefix+method, bytes.NewReader(body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return crmReply{}, err
	}
	res, err := r.srv.Client().Do(req)
	if err != nil {
		return crmReply{}, fmt.Errorf("replica %s: %s %s: %w", r.name, verb, method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return crmReply{}, fmt.Errorf("replica %s: %s %s: %w", r.name, verb, method, err)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Status struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return crmReply{}, fmt.Errorf("replica %s: %s %s: HTTP %d, not an envelope: %s", r.name, verb, method, res.StatusCode, raw)
	}
	return crmReply{Replica: r.name, HTTP: res.StatusCode, Raw: raw, Data: env.Data, Code: env.Status.Code, Message: env.Status.Message}, nil
}

// mustCRM is crm on the test's goroutine.
func (r *replica) mustCRM(t *testing.T, verb, method string, params map[string]any) crmReply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	rep, err := r.crm(ctx, verb, method, params)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ok fails unless the reply is a success, and decodes its data into v.
func (rep crmReply) ok(t *testing.T, v any) {
	t.Helper()
	if rep.HTTP != http.StatusOK || rep.Code != "OK" {
		t.Fatalf("want HTTP 200 OK; got %v", rep)
	}
	if v != nil {
		if err := json.Unmarshal(rep.Data, v); err != nil {
			t.Fatalf("data: %v: %v", err, rep)
		}
	}
}

// fails fails unless the reply is the error given.
func (rep crmReply) fails(t *testing.T, httpStatus int, code string) {
	t.Helper()
	if rep.HTTP != httpStatus || rep.Code != code {
		t.Fatalf("want HTTP %d %s; got %v", httpStatus, code, rep)
	}
}

func (r *replica) login(t *testing.T, org, username, password string) string {
	t.Helper()
	var d struct{ Token string }
	r.mustCRM(t, http.MethodPost, "authentication/token",
		map[string]any{"organisation": org, "username": username, "password": password}).ok(t, &d)
	if d.Token == "" {
		t.Fatalf("replica %s: login answered no token", r.name)
	}
	return d.Token
}

// show is subscriptions/show of a customer.
func (r *replica) show(t *testing.T, token, customer string) crmReply {
	t.Helper()
	return r.mustCRM(t, http.MethodGet, "netflix/subscriptions/show",
		map[string]any{"token": token, "billing_system_customer_identifier": customer})
}

// subscriptionNumber is the number subscriptions/show gives for a customer
// with a live subscription.
func (r *replica) subscriptionNumber(t *testing.T, token, customer string) string {
	t.Helper()
	var d struct {
		SubscriptionNumber string `json:"subscription_number"`
		LifeCycleState     string `json:"life_cycle_state"`
	}
	r.show(t, token, customer).ok(t, &d)
	if d.LifeCycleState != string(netflix.Effective) {
		t.Fatalf("replica %s: %s's subscription %s is %s, want EFFECTIVE", r.name, customer, d.SubscriptionNumber, d.LifeCycleState)
	}
	return d.SubscriptionNumber
}

// processed lists every PROCESSED charge not yet acknowledged, page by
// page, in the face's order.
func (r *replica) processed(t *testing.T, token string) []string {
	t.Helper()
	var numbers []string
	for offset := 0; ; offset += netflix.MaxChargesPerList {
		var d struct {
			ChargesSet []struct {
				Number string `json:"number"`
			} `json:"charges_set"`
		}
		r.mustCRM(t, http.MethodGet, "netflix/charges/list", map[string]any{
			"token": token, "charge_status": "PROCESSED", "number_of_results": netflix.MaxChargesPerList, "offset": offset,
		}).ok(t, &d)
		for _, ch := range d.ChargesSet {
			numbers = append(numbers, ch.Number)
		}
		if len(d.ChargesSet) < netflix.MaxChargesPerList {
			return numbers
		}
		if offset > 10_000 {
			t.Fatalf("replica %s: charges/list never ends", r.name)
		}
	}
}

// ---- the JSON-RPC plane ----

type rpcAnswer struct {
	Raw    []byte
	Result json.RawMessage
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
}

func rpcRequest(t *testing.T, id int, method string, params any) []byte {
	t.Helper()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rpc calls a method over HTTP POST /jsonrpc with the demo admin token.
func (r *replica) rpc(t *testing.T, method string, params any) rpcAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.srv.URL+"/jsonrpc", bytes.NewReader(rpcRequest(t, 1, method, params)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+demo.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("replica %s: %s: %v", r.name, method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("replica %s: %s: HTTP %d %s", r.name, method, res.StatusCode, raw)
	}
	a := rpcAnswer{Raw: raw}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("replica %s: %s: %v: %s", r.name, method, err, raw)
	}
	return a
}

// rpcOK calls a method that must succeed and returns its result.
func (r *replica) rpcOK(t *testing.T, method string, params any) json.RawMessage {
	t.Helper()
	a := r.rpc(t, method, params)
	if a.Error != nil || a.Result == nil {
		t.Fatalf("replica %s: %s: %s", r.name, method, a.Raw)
	}
	return a.Result
}

// state is a plugin's state as Controller.1.status@<callsign> reports it.
func (r *replica) state(t *testing.T, callsign string) string {
	t.Helper()
	var plugins []struct{ Callsign, State string }
	if err := json.Unmarshal(r.rpcOK(t, "Controller.1.status@"+callsign, nil), &plugins); err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 1 || plugins[0].Callsign != callsign {
		t.Fatalf("replica %s: status@%s = %+v", r.name, callsign, plugins)
	}
	return plugins[0].State
}

// ---- WebSocket ----

// The readiness probe is a Controller statechange under an id nobody else
// registers (register takes only the events a plugin publishes).
const (
	probeEvent = "statechange"
	probeID    = "ready"
)

// wsClient is a WebSocket to one replica whose messages a goroutine reads,
// so that a test can wait for one with a bound.
type wsClient struct {
	t    *testing.T
	name string
	c    *websocket.Conn
	msgs chan []byte
	done chan error
	id   int
}

func (r *replica) dial(t *testing.T) *wsClient {
	t.Helper()
	return r.dialAs(t, demo.AdminToken)
}

// dialAs opens a WebSocket to r with token.
func (r *replica) dialAs(t *testing.T, token string) *wsClient {
	t.Helper()
	dctx, dcancel := context.WithTimeout(context.Background(), replicaWait)
	defer dcancel()
	u := "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/jsonrpc?token=" + url.QueryEscape(token)
	c, res, err := websocket.Dial(dctx, u, &websocket.DialOptions{Subprotocols: []string{"notification"}})
	if err != nil {
		t.Fatalf("replica %s: dial: %v", r.name, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("replica %s: dial: HTTP %d", r.name, res.StatusCode)
	}
	ws := &wsClient{t: t, name: r.name, c: c, msgs: make(chan []byte, 1024), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				ws.done <- err
				return
			}
			if typ != websocket.MessageText {
				b = []byte(fmt.Sprintf("<message of type %v>", typ))
			}
			select {
			case ws.msgs <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		c.CloseNow()
		<-finished
	})
	return ws
}

// isProbe tells a message of the readiness probe: one under its id, or a
// probe ({"n": …}) under another id the connection registered.
func isProbe(b []byte) bool {
	var m struct {
		Method string
		Params struct{ N *int }
	}
	json.Unmarshal(b, &m)
	return m.Method == probeID+"."+probeEvent || strings.HasSuffix(m.Method, "."+probeEvent) && m.Params.N != nil
}

// next waits for the next message, passing over late readiness probes.
func (w *wsClient) next() []byte {
	w.t.Helper()
	deadline := time.NewTimer(replicaWait)
	defer deadline.Stop()
	for {
		select {
		case m := <-w.msgs:
			if isProbe(m) {
				continue
			}
			return m
		case err := <-w.done:
			w.t.Fatalf("replica %s: WebSocket ended while waiting for a message: %v", w.name, err)
		case <-deadline.C:
			w.t.Fatalf("replica %s: no WebSocket message within %v", w.name, replicaWait)
		}
	}
}

// call sends a request and returns its result, which must come next.
func (w *wsClient) call(method string, params any) json.RawMessage {
	w.t.Helper()
	w.id++
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, rpcRequest(w.t, w.id, method, params)); err != nil {
		w.t.Fatalf("replica %s: write: %v", w.name, err)
	}
	raw := w.next()
	var a struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.ID != w.id || a.Error != nil || a.Result == nil {
		w.t.Fatalf("replica %s: %s: got %s, want the answer to request %d", w.name, method, raw, w.id)
	}
	return a.Result
}

// register subscribes the connection to Controller's statechange under id.
func (w *wsClient) register(id string) {
	w.t.Helper()
	if got := w.call("Controller.1.register", map[string]any{"event": "statechange", "id": id}); string(got) != "null" {
		w.t.Fatalf("replica %s: register: %s", w.name, got)
	}
}

// waitHearing returns once the client's replica hears the bus: it publishes
// a probe event through another replica's bus until the client receives it.
// (Start returns before the replica's LISTEN is in place, and a message
// published before then never reaches it.) Probes that arrive later are
// passed over by next.
func (w *wsClient) waitHearing(via *replica) {
	w.t.Helper()
	if got := w.call("Controller.1.register", map[string]any{"event": probeEvent, "id": probeID}); string(got) != "null" {
		w.t.Fatalf("replica %s: register the probe: %s", w.name, got)
	}
	deadline := time.NewTimer(replicaWait)
	defer deadline.Stop()
	retry := time.NewTicker(50 * time.Millisecond)
	defer retry.Stop()
	for n := 0; ; n++ {
		ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
		err := via.stores.Bus.Publish(ctx, events.Message{
			Kind: events.PluginEvent, Callsign: "Controller", Event: probeEvent, Params: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
		})
		cancel()
		if err != nil {
			w.t.Fatalf("publish a probe through %s: %v", via.name, err)
		}
		select {
		case m := <-w.msgs:
			if !isProbe(m) {
				w.t.Fatalf("replica %s: unexpected message while probing the bus: %s", w.name, m)
			}
			return
		case err := <-w.done:
			w.t.Fatalf("replica %s: WebSocket ended while probing the bus: %v", w.name, err)
		case <-retry.C:
		case <-deadline.C:
			w.t.Fatalf("replica %s never heard a probe published through %s within %v", w.name, via.name, replicaWait)
		}
	}
}

// isStateChange checks a statechange notification exactly.
func isStateChange(t *testing.T, who string, raw []byte, id, callsign, state string) {
	t.Helper()
	want := fmt.Sprintf(`{"jsonrpc":"2.0","method":%q,"params":{"callsign":%q,"state":%q,"reason":"Requested"}}`,
		id+".statechange", callsign, state)
	var g, w any
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s: notification is not JSON: %s", who, raw)
	}
	json.Unmarshal([]byte(want), &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("%s: notification\n got: %s\nwant: %s", who, raw, want)
	}
}

// collect receives n values, failing the test when they do not all arrive
// within the bound.
func collect[T any](t *testing.T, what string, ch <-chan T, n int) []T {
	t.Helper()
	deadline := time.NewTimer(replicaWait)
	defer deadline.Stop()
	out := make([]T, 0, n)
	for len(out) < n {
		select {
		case v := <-ch:
			out = append(out, v)
		case <-deadline.C:
			t.Fatalf("%s: %d of %d answers within %v", what, len(out), n, replicaWait)
		}
	}
	return out
}

type callResult struct {
	reply crmReply
	err   error
}

// ---- tests ----

// Tokens are sessions in the database: one issued by a replica works on
// every other, and one released on any replica is refused by all (by the
// others once the release is announced to them, though each has cached it).
func TestReplicasShareSessions(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	for _, tc := range []struct {
		token string
		on    *replica
	}{{c.tokenA, c.a}, {c.tokenA, c.b}, {c.tokenB, c.a}, {c.tokenB, c.b}} {
		var ps []struct{ Code string }
		tc.on.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": tc.token}).ok(t, &ps)
		if len(ps) != len(demo.Promotions) {
			t.Fatalf("replica %s: %d promotions, want the demo's %d", tc.on.name, len(ps), len(demo.Promotions))
		}
	}
	// A's token released on B is refused on B at once and on A as soon as
	// B's announcement arrives; B's own token still works.
	c.b.mustCRM(t, http.MethodPost, "authentication/token/release", map[string]any{"token": c.tokenA}).ok(t, nil)
	c.b.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenA}).
		fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	eventually(t, "A refuses the token released on B", func() bool {
		return c.a.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenA}).HTTP == http.StatusUnauthorized
	})
	for _, r := range []*replica{c.a, c.b} {
		r.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenB}).ok(t, nil)
	}
}

// An OCP access token cached by B ends when its application is wiped by a
// factory reset through A.
func TestReplicasForgetOCPTokensOnReset(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	ctx := context.Background()
	tok, err := c.a.app.OCP.IssueToken(ctx, fmt.Sprintf("app-%d", demo.OCPAppID), demo.OCPSecret)
	if err != nil {
		t.Fatal(err)
	}
	if app, err := c.b.app.OCP.Authenticate(ctx, tok.Value); err != nil || app != demo.OCPAppID {
		t.Fatalf("B: Authenticate = %d, %v", app, err)
	}
	if got := c.a.rpcOK(t, "OCP.1.factoryReset", nil); string(got) != "null" {
		t.Fatalf("factoryReset answered %s", got)
	}
	eventually(t, "B refuses the token of a wiped application", func() bool {
		_, err := c.b.app.OCP.Authenticate(ctx, tok.Value)
		return carebridge.ErrorCode(err) == carebridge.EUNAUTHORIZED
	})
}

// eventually polls cond until it holds, failing the test after replicaWait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(replicaWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, replicaWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// 40 creates for one new customer, alternating between the replicas, all
// at once: exactly one wins, the others answer 409 INVALID_STATE, and one
// live subscription exists, the same on both. Then again after the
// subscription is cancelled (a CANCELLED one may be followed by one more).
func TestReplicasCreateOneSubscription(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	const n = 40
	const customer = "replica-race-1"
	c.a.show(t, c.tokenA, customer).fails(t, http.StatusNotFound, "NOT_FOUND")

	var winners []string
	for round := 1; round <= 2; round++ {
		start := make(chan struct{})
		results := make(chan callResult, n)
		for i := range n {
			r, token := c.a, c.tokenA
			if i%2 == 1 {
				r, token = c.b, c.tokenB
			}
			go func() {
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
				defer cancel()
				rep, err := r.crm(ctx, http.MethodPost, "netflix/subscriptions/create",
					map[string]any{"token": token, "billing_system_customer_identifier": customer, "channel": "OTHER"})
				results <- callResult{rep, err}
			}()
		}
		close(start)
		var won []crmReply
		conflicts := 0
		for _, res := range collect(t, fmt.Sprintf("round %d: creates", round), results, n) {
			switch {
			case res.err != nil:
				t.Errorf("round %d: %v", round, res.err)
			case res.reply.HTTP == http.StatusOK && res.reply.Code == "OK":
				won = append(won, res.reply)
			case res.reply.HTTP == http.StatusConflict && res.reply.Code == "INVALID_STATE":
				conflicts++
			default:
				t.Errorf("round %d: want 200 OK or 409 INVALID_STATE; got %v", round, res.reply)
			}
		}
		if len(won) != 1 || conflicts != n-1 {
			t.Fatalf("round %d: %d creates succeeded and %d answered 409, want 1 and %d; successes: %v", round, len(won), conflicts, n-1, won)
		}
		var created struct {
			SubscriptionNumber string `json:"subscription_number"`
			NetflixToken       string `json:"netflix_token"`
		}
		won[0].ok(t, &created)
		if created.SubscriptionNumber == "" || created.NetflixToken == "" {
			t.Fatalf("round %d: create answered %s", round, won[0].Raw)
		}
		winners = append(winners, created.SubscriptionNumber)

		for _, r := range []*replica{c.a, c.b} {
			token := c.tokenA
			if r == c.b {
				token = c.tokenB
			}
			if got := r.subscriptionNumber(t, token, customer); got != created.SubscriptionNumber {
				t.Fatalf("round %d: show on %s = %s, want the winner's %s (won on %s)", round, r.name, got, created.SubscriptionNumber, won[0].Replica)
			}
		}
		if live := c.queryInt(t, `SELECT count(*) FROM netflix_subscriptions
			WHERE customer_identifier = $1 AND life_cycle_state <> 'CANCELLED'`, customer); live != 1 {
			t.Fatalf("round %d: %d live subscriptions, want 1", round, live)
		}
		if all := c.queryInt(t, `SELECT count(*) FROM netflix_subscriptions WHERE customer_identifier = $1`, customer); all != round {
			t.Fatalf("round %d: %d subscriptions stored, want %d", round, all, round)
		}
		if creates := c.queryInt(t, `SELECT count(*) FROM netflix_subscription_events e
			JOIN netflix_subscriptions s ON s.id = e.subscription_id
			WHERE s.customer_identifier = $1 AND e.action = 'create'`, customer); creates != round {
			t.Fatalf("round %d: %d create events, want %d", round, creates, round)
		}
		if round == 1 {
			// Cancelled through B, so that one more create may succeed.
			c.b.mustCRM(t, http.MethodPost, "netflix/subscriptions/cancel",
				map[string]any{"token": c.tokenB, "billing_system_customer_identifier": customer}).ok(t, nil)
		}
	}
	if winners[0] == winners[1] {
		t.Fatalf("both rounds answered subscription %s", winners[0])
	}
}

// Both replicas' processors settle 100 new PENDING charges (and the demo's)
// at once: each exactly once. Then 20 goroutines per replica acknowledge
// the same 50 charges with the same reference numbers at once: each charge
// is acknowledged once, a charge's own reference never fails, and a
// reference given for two charges is refused for exactly one of them.
func TestReplicasSettleAndAcknowledgeOnce(t *testing.T) {
	t.Parallel()
	c := setupCluster(t, func(s *server.Server) {
		// The background runs settle nothing, so that the test's own Drain
		// calls do all the settling and can be counted; small batches make
		// the two processors take turns.
		s.Processor.Active = func() bool { return false }
		s.Processor.BatchSize = 7
	})
	ctx := context.Background()

	const total = 100
	charges := make([]netflix.NewCharge, total)
	customers := make([]string, total)
	for i := range charges {
		customers[i] = fmt.Sprintf("settle-%02d", i%10) // no subscription: BAD_REQUEST
		if i%5 == 0 {
			customers[i] = demo.Customers[0] // EFFECTIVE: APPROVED
		}
		charges[i] = netflix.NewCharge{
			PartnerChargeID: fmt.Sprintf("replica-%03d", i), Customer: customers[i],
			Amount:     money.Amount{Minor: 100 + int64(i), Currency: "USD"},
			ReceivedOn: c.base.Add(-time.Hour + time.Duration(i)*time.Second),
		}
	}
	ingested, err := c.a.app.Netflix.Ingest(ctx, c.op.ID, charges, "")
	if err != nil {
		t.Fatal(err)
	}
	numbers := make([]string, total)
	ids := make([]int64, total)
	for i, res := range ingested {
		if res.Err != nil || res.ChargeID == 0 || res.Duplicate {
			t.Fatalf("ingest %s: %+v", charges[i].PartnerChargeID, res)
		}
		ids[i], numbers[i] = res.ChargeID, netflix.ChargeNumber(res.ChargeID)
	}
	pending := c.queryInt(t, `SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`)
	if want := total + len(demo.Charges); pending != want {
		t.Fatalf("%d charges PENDING before settling, want %d (the processors were to stay idle)", pending, want)
	}

	// ---- settlement ----
	type drained struct {
		name string
		n    int
		err  error
	}
	start := make(chan struct{})
	drains := make(chan drained, 2)
	dctx, dcancel := context.WithTimeout(ctx, replicaWait)
	defer dcancel()
	for _, r := range []*replica{c.a, c.b} {
		go func() {
			<-start
			settled := 0
			for {
				n, err := r.app.Processor.Drain(dctx)
				settled += n
				if err != nil {
					drains <- drained{r.name, settled, err}
					return
				}
				// Drain stops when the other processor holds the rest; carry
				// on until nothing is PENDING.
				var left int
				if err := c.pool.QueryRow(dctx, `SELECT count(*) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&left); err != nil {
					drains <- drained{r.name, settled, err}
					return
				}
				if left == 0 {
					drains <- drained{r.name, settled, nil}
					return
				}
			}
		}()
	}
	close(start)
	sum := 0
	for _, d := range collect(t, "drains", drains, 2) {
		if d.err != nil {
			t.Fatalf("replica %s: Drain: %v", d.name, d.err)
		}
		t.Logf("replica %s settled %d charges", d.name, d.n)
		sum += d.n
	}
	if sum != pending {
		t.Fatalf("the processors report %d settlements of %d PENDING charges", sum, pending)
	}
	settlements := c.queryPairs(t, `SELECT c.id::text, count(e.id) FROM netflix_charges c
		LEFT JOIN netflix_charge_events e ON e.charge_id = c.id AND e.actor = $1
		GROUP BY c.id`, netflix.SettlementActor)
	if len(settlements) != pending {
		t.Fatalf("%d charges stored, want %d", len(settlements), pending)
	}
	for id, n := range settlements {
		if n != 1 {
			t.Errorf("charge %s has %d settlement events, want 1", id, n)
		}
	}
	statuses := c.queryStatuses(t)
	for i, id := range ids {
		want := netflix.BadRequest
		if customers[i] == demo.Customers[0] {
			want = netflix.Approved
		}
		if got := statuses[id]; got != want {
			t.Errorf("charge %s of %s settled %s, want %s", numbers[i], customers[i], got, want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// ---- acknowledgement ----
	// Charges 0..47 with their own references; 48 and 49 with one shared
	// reference, named in one order through A and the other through B.
	const acked = netflix.MaxAcksPerCall
	x, y := acked-2, acked-1
	item := func(i int, ref string) map[string]any {
		return map[string]any{"number": numbers[i], "billing_system_customer_identifier": customers[i], "reference_number": ref}
	}
	var common []map[string]any
	for i := range acked - 2 {
		common = append(common, item(i, fmt.Sprintf("ref-%02d", i)))
	}
	const shared = "ref-shared"
	viaA := append(slices.Clone(common), item(x, shared), item(y, shared))
	viaB := append(slices.Clone(common), item(y, shared), item(x, shared))

	const perReplica = 20
	start = make(chan struct{})
	results := make(chan callResult, 2*perReplica)
	for i := range 2 * perReplica {
		r, token, set := c.a, c.tokenA, viaA
		if i%2 == 1 {
			r, token, set = c.b, c.tokenB, viaB
		}
		go func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
			defer cancel()
			rep, err := r.crm(ctx, http.MethodPost, "netflix/charges/acknowledge",
				map[string]any{"token": token, "acknowledged_charges_set": set})
			results <- callResult{rep, err}
		}()
	}
	close(start)
	losers := map[string]int{}
	for _, res := range collect(t, "acknowledgements", results, 2*perReplica) {
		if res.err != nil {
			t.Errorf("%v", res.err)
			continue
		}
		var d struct {
			FailedChargesSet []struct {
				Number          string  `json:"number"`
				ErrorCode       string  `json:"error_code"`
				ReferenceNumber *string `json:"reference_number"`
			} `json:"failed_charges_set"`
		}
		if res.reply.HTTP != http.StatusOK || res.reply.Code != "OK" || json.Unmarshal(res.reply.Data, &d) != nil {
			t.Errorf("acknowledge: %v", res.reply)
			continue
		}
		if len(d.FailedChargesSet) != 1 {
			t.Errorf("acknowledge: %d failures, want exactly the shared reference's loser: %v", len(d.FailedChargesSet), res.reply)
		}
		for _, f := range d.FailedChargesSet {
			if f.ErrorCode != netflix.AckReferenceInUse || f.ReferenceNumber == nil || *f.ReferenceNumber != shared ||
				(f.Number != numbers[x] && f.Number != numbers[y]) {
				t.Errorf("acknowledge: failure %+v; only %s or %s may fail, with code 3 for %s: %v", f, numbers[x], numbers[y], shared, res.reply)
				continue
			}
			losers[f.Number]++
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(losers) != 1 {
		t.Fatalf("the shared reference failed for %v, want exactly one of %s and %s", losers, numbers[x], numbers[y])
	}
	winner, loser := x, y
	if _, ok := losers[numbers[x]]; ok {
		winner, loser = y, x
	}

	// The database: each charge acknowledged once, the loser not at all;
	// each reference held by its own charge, the shared one by the winner.
	acks := c.queryPairs(t, `SELECT charge_id::text, count(*) FROM netflix_charge_acknowledgements GROUP BY charge_id`)
	wantAcked := map[string]int64{}
	for i := range acked {
		if i != loser {
			wantAcked[fmt.Sprint(ids[i])] = 1
		}
	}
	if !maps.Equal(acks, wantAcked) {
		t.Errorf("acknowledgements per charge id = %v, want %v", acks, wantAcked)
	}
	refs := c.queryPairs(t, `SELECT reference_number, charge_id FROM netflix_reference_numbers`)
	wantRefs := map[string]int64{shared: ids[winner]}
	for i := range acked - 2 {
		wantRefs[fmt.Sprintf("ref-%02d", i)] = ids[i]
	}
	if !maps.Equal(refs, wantRefs) {
		t.Errorf("reference numbers = %v, want %v", refs, wantRefs)
	}

	// charges/list PROCESSED agrees on both replicas: every settled charge
	// but the 49 acknowledged; the loser is still there.
	listA, listB := c.a.processed(t, c.tokenA), c.b.processed(t, c.tokenB)
	if !slices.Equal(listA, listB) {
		t.Fatalf("charges/list PROCESSED differs\n A: %v\n B: %v", listA, listB)
	}
	all := c.queryPairs(t, `SELECT id::text, id FROM netflix_charges`)
	var want []string
	for _, id := range all {
		if _, done := wantAcked[fmt.Sprint(id)]; !done {
			want = append(want, netflix.ChargeNumber(id))
		}
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(listA))
	if !slices.Equal(got, want) {
		t.Fatalf("charges/list PROCESSED = %v, want %v", got, want)
	}
	if !slices.Contains(got, numbers[loser]) {
		t.Fatalf("the loser %s is not listed", numbers[loser])
	}
}

// queryStatuses maps every charge id to its status.
func (c *cluster) queryStatuses(t *testing.T) map[int64]netflix.ChargeStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT id, status FROM netflix_charges`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]netflix.ChargeStatus{}
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		out[id] = netflix.ChargeStatus(s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Two operators of one organisation register the same 500 ESNs at the same
// moment, one through each replica: every ESN gets exactly one owner, and
// is in exactly one of the two failed_devices_set lists (the other
// owner's).
func TestReplicasRegisterDevicesOnce(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	second := c.addUser(t, "second", "second-user", "second-password")
	secondToken := c.b.login(t, demo.Organisation, "second-user", "second-password")

	type registration struct {
		r     *replica
		token string
		op    carebridge.Operator
	}
	regs := []registration{{c.a, c.tokenA, c.op}, {c.b, secondToken, second}}
	const rounds, n = 3, 500
	for round := range rounds {
		esns := make([]string, n)
		for i := range esns {
			esns[i] = fmt.Sprintf("R%d-ESN-%04d", round, i)
		}
		start := make(chan struct{})
		results := make([]chan callResult, len(regs))
		for k, reg := range regs {
			results[k] = make(chan callResult, 1)
			order := slices.Clone(esns)
			if k == 1 {
				slices.Reverse(order) // the store must not depend on the request's order
			}
			devices := make([]map[string]any, n)
			for i, e := range order {
				devices[i] = map[string]any{"esn": e}
			}
			go func() {
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), replicaWait)
				defer cancel()
				rep, err := reg.r.crm(ctx, http.MethodPost, "netflix/operators/register_devices", map[string]any{
					"token": reg.token, "group_identifier": map[string]any{"name": reg.op.Name}, "devices": devices,
				})
				results[k] <- callResult{rep, err}
			}()
		}
		close(start)
		failedBy := make([]map[string]bool, len(regs))
		for k := range regs {
			res := collect(t, fmt.Sprintf("round %d: register through %s", round, regs[k].r.name), results[k], 1)[0]
			if res.err != nil {
				t.Fatal(res.err)
			}
			var d struct {
				FailedDevicesSet []struct {
					ESN string `json:"esn"`
				} `json:"failed_devices_set"`
			}
			res.reply.ok(t, &d)
			failedBy[k] = map[string]bool{}
			for _, f := range d.FailedDevicesSet {
				if failedBy[k][f.ESN] {
					t.Fatalf("round %d: %s listed twice in %s's failures", round, f.ESN, regs[k].r.name)
				}
				failedBy[k][f.ESN] = true
			}
		}
		owners := c.queryPairs(t, `SELECT esn, operator_id FROM netflix_devices WHERE esn LIKE $1`, fmt.Sprintf("R%d-ESN-%%", round))
		if len(owners) != n {
			t.Fatalf("round %d: %d ESNs registered, want %d", round, len(owners), n)
		}
		for _, e := range esns {
			inA, inB := failedBy[0][e], failedBy[1][e]
			if inA == inB {
				t.Fatalf("round %d: %s failed for the first operator: %v, for the second: %v; want exactly one", round, e, inA, inB)
			}
			want := regs[0].op.ID // the second operator's failure names the first as owner
			if inA {
				want = regs[1].op.ID
			}
			if owners[e] != want {
				t.Fatalf("round %d: %s is owned by operator %d, want %d (failed for A: %v)", round, e, owners[e], want, inA)
			}
		}
		t.Logf("round %d: the first operator got %d ESNs, the second %d", round, len(failedBy[1]), len(failedBy[0]))
	}
}

// A WebSocket client of B hears the statechange of a deactivation made
// through A, and by then B itself has switched: its REST face answers 503
// and its Controller says Deactivated. A replica started after the
// deactivation starts deactivated. Activating through A brings both back.
func TestReplicasShareEventsAndPluginState(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	promotions := func(r *replica, token string) crmReply {
		t.Helper()
		return r.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": token})
	}

	wsB := c.b.dial(t)
	wsB.register("client.Controller.events")
	wsB.waitHearing(c.a)
	promotions(c.b, c.tokenB).ok(t, nil)

	if got := c.a.rpcOK(t, "Controller.1.deactivate", map[string]any{"callsign": "Netflix"}); string(got) != "null" {
		t.Fatalf("deactivate answered %s", got)
	}
	isStateChange(t, "B", wsB.next(), "client.Controller.events", "Netflix", "Deactivated")
	promotions(c.b, c.tokenB).fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if s := c.b.state(t, "Netflix"); s != "Deactivated" {
		t.Fatalf("B: status@Netflix = %s, want Deactivated", s)
	}
	promotions(c.a, c.tokenA).fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if s := c.b.state(t, "OCP"); s != "Activated" {
		t.Fatalf("B: status@OCP = %s; only Netflix was deactivated", s)
	}

	// C starts after the deactivation: it reads the state from the
	// database.
	rc := startReplica(t, "C", c.dbURL, c.now)
	if s := rc.state(t, "Netflix"); s != "Deactivated" {
		t.Fatalf("C, started after the deactivation: status@Netflix = %s, want Deactivated", s)
	}
	tokenC := rc.login(t, demo.Organisation, demo.Username, demo.Password)
	promotions(rc, tokenC).fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	wsC := rc.dial(t)
	wsC.register("care")
	wsC.waitHearing(c.a)

	if got := c.a.rpcOK(t, "Controller.1.activate", map[string]any{"callsign": "Netflix"}); string(got) != "null" {
		t.Fatalf("activate answered %s", got)
	}
	isStateChange(t, "B", wsB.next(), "client.Controller.events", "Netflix", "Activated")
	promotions(c.b, c.tokenB).ok(t, nil)
	if s := c.b.state(t, "Netflix"); s != "Activated" {
		t.Fatalf("B: status@Netflix = %s, want Activated", s)
	}
	isStateChange(t, "C", wsC.next(), "care", "Netflix", "Activated")
	promotions(rc, tokenC).ok(t, nil)
	if s := rc.state(t, "Netflix"); s != "Activated" {
		t.Fatalf("C: status@Netflix = %s, want Activated", s)
	}
	promotions(c.a, c.tokenA).ok(t, nil)
}

// A replica is built (server.New reads the plugin states) before a state
// change and started (Start listens) after it, as `serve` does with the
// demo load in between: it must end up in the state the database holds.
func TestReplicaBuiltBeforeAStateChange(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	dbURL, now := c.dbURL, c.now

	s := testserver.NewOn(t, dbURL, server.Config{Now: now}) // reads Netflix: Activated
	app, stores := s.App, s.Stores
	c.a.rpcOK(t, "Controller.1.deactivate", map[string]any{"callsign": "Netflix"})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := app.Start(ctx)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(func() { srv.Close(); cancel(); stopped() })
	d := &replica{name: "D", app: app, stores: stores, srv: srv}
	ws := d.dial(t)
	ws.waitHearing(c.a) // D listens now

	tokenD := d.login(t, demo.Organisation, demo.Username, demo.Password)
	d.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": tokenD}).
		fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	if s := c.b.state(t, "Netflix"); s != "Deactivated" {
		t.Fatalf("B: status@Netflix = %s, want Deactivated", s)
	}
	if s := d.state(t, "Netflix"); s != "Deactivated" {
		t.Fatalf("D: status@Netflix = %s while the database and the other replicas say Deactivated", s)
	}
}

// A factory reset through A is seen by B at once: B's next answer comes
// from the emptied tables.
func TestReplicasSeeFactoryReset(t *testing.T) {
	t.Parallel()
	c := setupCluster(t)
	customer := demo.Customers[0]
	if got := c.b.subscriptionNumber(t, c.tokenB, customer); got == "" {
		t.Fatal("B: no subscription number for the demo customer")
	}
	var before []json.RawMessage
	c.b.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenB}).ok(t, &before)
	if len(before) != len(demo.Promotions) {
		t.Fatalf("B: %d promotions before the reset, want %d", len(before), len(demo.Promotions))
	}

	if got := c.a.rpcOK(t, "Netflix.1.factoryReset", nil); string(got) != "null" {
		t.Fatalf("factoryReset answered %s", got)
	}
	c.b.show(t, c.tokenB, customer).fails(t, http.StatusNotFound, "NOT_FOUND")
	var after []json.RawMessage
	c.b.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenB}).ok(t, &after)
	if len(after) != 0 {
		t.Fatalf("B: %d promotions after the reset, want none", len(after))
	}
	if got := c.b.processed(t, c.tokenB); len(got) != 0 {
		t.Fatalf("B: charges after the reset: %v", got)
	}
	c.a.show(t, c.tokenA, customer).fails(t, http.StatusNotFound, "NOT_FOUND")
	// Sessions are platform data: both tokens still work, on both replicas.
	c.a.mustCRM(t, http.MethodGet, "netflix/promotions/list", map[string]any{"token": c.tokenB}).ok(t, nil)
}
