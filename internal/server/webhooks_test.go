package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/examples/webhookreceiver"
	"carebridge/internal/apitest"
	"carebridge/internal/demo"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
	"carebridge/internal/webhook"
)

// hookWait bounds how long a test waits for deliveries; it is not what
// they should take, which is milliseconds.
const hookWait = 20 * time.Second

// receiver is the README's receiver, recording what it handled, and
// answering 500 (down) while told to.
type receiver struct {
	srv    *httptest.Server
	secret string

	mu       sync.Mutex
	down     bool
	handled  []webhookreceiver.Event
	attempts map[int64]int // by event id, every verified attempt
	ids      []string      // X-Carebridge-Delivery of each handled event
	raw      []rawDelivery // every request, as received
}

// rawDelivery is a request as the receiver got it.
type rawDelivery struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{secret: secret, attempts: map[int64]int{}}
	var delivery string
	h := webhookreceiver.Handler(secret, func(e webhookreceiver.Event) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts[e.ID]++
		if r.down {
			return context.DeadlineExceeded // answered 500
		}
		r.handled = append(r.handled, e)
		r.ids = append(r.ids, delivery)
		return nil
	})
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Error(err)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		delivery = req.Header.Get(webhook.DeliveryHeader)
		r.raw = append(r.raw, rawDelivery{req.Header.Clone(), body})
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

// events returns the events handled, each once however often it was
// delivered (deliveries are at least once), of the customers given (none:
// all).
func (r *receiver) events(customers ...string) []webhookreceiver.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []webhookreceiver.Event
	seen := map[int64]bool{}
	for _, e := range r.handled {
		var d struct {
			Customer string `json:"billing_system_customer_identifier"`
		}
		json.Unmarshal(e.Data, &d)
		if !seen[e.ID] && (len(customers) == 0 || slices.Contains(customers, d.Customer)) {
			out = append(out, e)
		}
		seen[e.ID] = true
	}
	return out
}

// handledTimes counts how often each event was handled.
func (r *receiver) handledTimes() map[int64]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := map[int64]int{}
	for _, e := range r.handled {
		n[e.ID]++
	}
	return n
}

func (r *receiver) attemptsOf(id int64) int { r.mu.Lock(); defer r.mu.Unlock(); return r.attempts[id] }

// waitFor polls until cond holds, or fails the test after hookWait.
func waitFor(t *testing.T, what string, cond func() bool, tick func()) {
	t.Helper()
	deadline := time.Now().Add(hookWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after %v", what, hookWait)
		}
		if tick != nil {
			tick()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hookServer is a server on db with its background work running and the
// demo data, whose clock starts at the time the test starts (deliveries
// are signed with it, and receivers check it against theirs).
type hookServer struct {
	*testserver.Server
	clock  *testserver.Clock
	op     carebridge.Operator
	caller carebridge.Caller // the demo user
	stop   func()            // stops the background work and waits for it
}

func startHookServer(t *testing.T, db string, clk *testserver.Clock, loadDemo bool) *hookServer {
	t.Helper()
	s := testserver.NewOn(t, db, server.Config{Now: clk.Now, WebhookInterval: 5 * time.Millisecond, SettleInterval: time.Hour})
	ctx := context.Background()
	var op carebridge.Operator
	if loadDemo {
		op = s.LoadDemo(t, clk.Now())
	} else {
		org, err := s.Stores.Tenancy.OrganisationByName(ctx, demo.Organisation)
		if err != nil {
			t.Fatal(err)
		}
		if op, err = s.Stores.Tenancy.OperatorByName(ctx, org.ID, demo.Operator); err != nil {
			t.Fatal(err)
		}
	}
	bg, cancel := context.WithCancel(ctx)
	wait := s.App.Start(bg)
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wait() }) }
	t.Cleanup(stop)
	token, err := s.App.Auth.Login(ctx, demo.Organisation, demo.Username, demo.Password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := s.App.Auth.Authenticate(ctx, token.Value)
	if err != nil {
		t.Fatal(err)
	}
	return &hookServer{Server: s, clock: clk, op: op, caller: caller, stop: stop}
}

// endpoint registers r for the operator's events of the types given.
func (h *hookServer) endpoint(t *testing.T, operatorID int64, r *receiver, types ...webhook.EventType) webhook.Endpoint {
	t.Helper()
	ep, err := h.Stores.Tenancy.CreateEndpoint(context.Background(),
		webhook.Endpoint{OperatorID: operatorID, URL: r.srv.URL + "/hooks", Events: types, CreatedAt: h.clock.Now()}, r.secret)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func (h *hookServer) create(t *testing.T, caller carebridge.Caller, customer string) netflix.Subscription {
	t.Helper()
	c, err := h.App.Netflix.Create(context.Background(), caller, netflix.CreateRequest{Customer: customer, Channel: "OTHER"})
	if err != nil {
		t.Fatalf("create %s: %v", customer, err)
	}
	return c.Subscription
}

func (h *hookServer) transition(t *testing.T, customer string, action netflix.Action) {
	t.Helper()
	if _, err := h.App.Netflix.Transition(context.Background(), h.caller, customer, action); err != nil {
		t.Fatalf("%s %s: %v", action, customer, err)
	}
}

func eventData(t *testing.T, e webhookreceiver.Event) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// Each change reaches the endpoints of its operator that take its type,
// signed with the endpoint's secret, once; another operator's endpoints
// never see it.
func TestWebhooksDeliverSignedEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db string) {
		h := startHookServer(t, db, testserver.NewClock(time.Now().UTC().Truncate(time.Second)), true)
		ctx := context.Background()
		mine, subsOnly, theirs := newReceiver(t), newReceiver(t), newReceiver(t)
		h.endpoint(t, h.op.ID, mine, webhook.EventTypes...)
		h.endpoint(t, h.op.ID, subsOnly, webhook.SubscriptionChanged)
		other, err := h.Stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: h.op.OrganisationID, Name: "other", CreatedAt: h.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		h.endpoint(t, other.ID, theirs, webhook.EventTypes...)

		sub := h.create(t, h.caller, "hook-c1")
		h.transition(t, "hook-c1", netflix.ActionSuspend)
		if _, err := h.App.Netflix.Ingest(ctx, h.op.ID, []netflix.NewCharge{{
			PartnerChargeID: "hook-p1", Customer: "hook-c1", Amount: money.Amount{Minor: 599, Currency: "EUR"}, ReceivedOn: h.clock.Now(),
		}}, ""); err != nil {
			t.Fatal(err)
		}
		// The charge is settled at once: DECLINED, as the subscription is
		// suspended, which ends it.
		waitFor(t, "five events", func() bool { return len(mine.events("hook-c1")) == 5 && len(subsOnly.events("hook-c1")) == 3 }, nil)

		got := mine.events("hook-c1")
		for i, want := range []string{"subscription.changed", "subscription.changed", "charge.created", "charge.settled", "subscription.changed"} {
			if got[i].Type != want {
				t.Errorf("event %d is %s, want %s", i, got[i].Type, want)
			}
		}
		if d := eventData(t, got[0]); d["number"] != sub.Number() || d["action"] != "create" || d["life_cycle_state"] != "EFFECTIVE" || d["actor"] != demo.Username {
			t.Errorf("create event data %v", d)
		}
		if d := eventData(t, got[1]); d["action"] != "suspend" || d["from_state"] != "EFFECTIVE" || d["life_cycle_state"] != "NOT_EFFECTIVE" {
			t.Errorf("suspend event data %v", d)
		}
		if d := eventData(t, got[2]); d["partner_charge_id"] != "hook-p1" || d["status"] != "PENDING" || d["amount"] != 5.99 {
			t.Errorf("charge event data %v", d)
		}
		if d := eventData(t, got[3]); d["number"] != eventData(t, got[2])["number"] || d["status"] != "DECLINED" || d["actor"] != netflix.SettlementActor {
			t.Errorf("settlement event data %v", d)
		}
		if d := eventData(t, got[4]); d["action"] != "cancel" || d["life_cycle_state"] != "CANCELLED" || d["reason"] == nil {
			t.Errorf("cancel event data %v", d)
		}
		if !slices.IsSortedFunc(got, func(a, b webhookreceiver.Event) int { return int(a.ID - b.ID) }) {
			t.Errorf("events %+v are not in the order of the changes", got)
		}
		if s := subsOnly.events("hook-c1"); s[0].ID != got[0].ID || s[1].ID != got[1].ID || s[2].ID != got[4].ID {
			t.Errorf("the subscriptions endpoint got %+v, want the subscription events", s)
		}
		mine.mu.Lock()
		for i, e := range mine.handled {
			if want := jsonInt(e.ID); mine.ids[i] != want {
				t.Errorf("X-Carebridge-Delivery %q for event %d", mine.ids[i], e.ID)
			}
		}
		mine.mu.Unlock()

		// Each request is as the OpenAPI document's webhooks describe it.
		mine.mu.Lock()
		checkDocumented(t, mine.raw)
		mine.mu.Unlock()

		// The other operator's endpoint saw none of it; its own change
		// reaches it alone.
		otherUser := carebridge.Caller{UserID: h.caller.UserID, Username: "someone", OperatorID: other.ID, OrganisationID: other.OrganisationID, Role: carebridge.RoleAPI}
		h.create(t, otherUser, "hook-theirs")
		waitFor(t, "the other operator's event", func() bool { return len(theirs.events()) == 1 }, nil)
		if e := theirs.events()[0]; eventData(t, e)["billing_system_customer_identifier"] != "hook-theirs" {
			t.Errorf("the other operator's endpoint got %+v", e)
		}
		for _, r := range []*receiver{mine, subsOnly} {
			if len(r.events("hook-theirs")) != 0 {
				t.Error("an operator's endpoint got another operator's event")
			}
		}

		// Each delivery is recorded delivered after one attempt.
		ds, err := h.Stores.Tenancy.Deliveries(ctx, h.op.ID, false, 50)
		if err != nil {
			t.Fatal(err)
		}
		var delivered int
		for _, d := range ds {
			if d.Customer == "hook-c1" {
				delivered++
				if d.State != webhook.Delivered || d.Attempts != 1 || d.LastStatus != http.StatusNoContent || d.LastError != "" || d.EndedAt.IsZero() {
					t.Errorf("delivery %+v", d)
				}
			}
		}
		if delivered != 8 {
			t.Errorf("%d deliveries of hook-c1's events listed, want 8", delivered)
		}
	})
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// A receiver that is down gets every event once it is back, each
// customer's in the order of the changes: a later event waits for the
// earlier one to be delivered.
func TestWebhooksReceiverDown(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db string) {
		clk := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
		h := startHookServer(t, db, clk, true)
		r := newReceiver(t)
		r.setDown(true)
		h.endpoint(t, h.op.ID, r, webhook.SubscriptionChanged)

		h.create(t, h.caller, "down-c1")
		h.transition(t, "down-c1", netflix.ActionSuspend)
		h.transition(t, "down-c1", netflix.ActionUnsuspend)
		h.create(t, h.caller, "down-c2")

		ds, err := h.Stores.Tenancy.Deliveries(context.Background(), h.op.ID, false, 50)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string][]int64{} // by customer, in event order
		for _, d := range slices.Backward(ds) {
			ids[d.Customer] = append(ids[d.Customer], d.EventID)
		}
		if len(ids["down-c1"]) != 3 || len(ids["down-c2"]) != 1 {
			t.Fatalf("deliveries %+v, want three of down-c1 and one of down-c2", ds)
		}
		c1, c2 := ids["down-c1"], ids["down-c2"][0]
		// While it is down, each customer's first event is tried again and
		// again, the later ones of down-c1 never.
		// The clock moves by less than a claim's lease at a time, so that
		// an attempt in flight keeps its claim.
		tick := func() { clk.Advance(5 * time.Second) }
		waitFor(t, "three attempts of each first event", func() bool { return r.attemptsOf(c1[0]) >= 3 && r.attemptsOf(c2) >= 3 }, tick)
		if r.attemptsOf(c1[1]) != 0 || r.attemptsOf(c1[2]) != 0 {
			t.Fatalf("down-c1's later events were tried before its first was delivered")
		}
		ds, _ = h.Stores.Tenancy.Deliveries(context.Background(), h.op.ID, false, 50)
		for _, d := range ds {
			if d.EventID == c1[0] && (d.State != webhook.Pending || d.Attempts < 3 || d.LastStatus != http.StatusInternalServerError || d.LastError == "") {
				t.Errorf("the failing delivery is listed as %+v", d)
			}
		}

		r.setDown(false)
		waitFor(t, "every event", func() bool { return len(r.events("down-c1")) == 3 && len(r.events("down-c2")) == 1 }, tick)
		var order []int64
		for _, e := range r.events("down-c1") {
			order = append(order, e.ID)
		}
		if !slices.Equal(order, c1) {
			t.Fatalf("down-c1's events arrived as %v, want %v", order, c1)
		}
		// The attempts are counted by outcome, once recorded (the receiver
		// has its answer a moment before).
		metrics := h.Serve(t).URL + "/metrics"
		attempts := func(outcome string) float64 {
			return value(t, parseScrape(t, scrape(t, metrics)), "carebridge_webhook_attempts_total", map[string]string{"outcome": outcome})
		}
		waitFor(t, "four attempts counted delivered", func() bool { return attempts("delivered") >= 4 }, nil)
		if got := attempts("retried"); got < 6 {
			t.Errorf("%v attempts counted retried, want at least 6", got)
		}
		if got := attempts("failed"); got != 0 {
			t.Errorf("%v attempts counted failed, want none", got)
		}
	})
}

// A delivery retried for a day without a 2xx answer fails, and is listed
// among the failed ones.
func TestWebhooksFailAfterADay(t *testing.T) {
	t.Parallel()
	clk := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
	h := startHookServer(t, testdb.SQLitePath(t), clk, true)
	r := newReceiver(t)
	r.setDown(true)
	h.endpoint(t, h.op.ID, r, webhook.SubscriptionChanged)
	h.create(t, h.caller, "gone-c1")
	failed := func() []webhook.Delivery {
		ds, err := h.Stores.Tenancy.Deliveries(context.Background(), h.op.ID, true, 50)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	waitFor(t, "the delivery to fail", func() bool { return len(failed()) == 1 }, func() { clk.Advance(30 * time.Minute) })
	d := failed()[0]
	if d.State != webhook.Failed || d.Customer != "gone-c1" || d.Attempts < 2 || d.LastStatus != http.StatusInternalServerError || d.EndedAt.IsZero() {
		t.Fatalf("failed delivery %+v", d)
	}
	if !d.RetryUntil.Equal(d.CreatedAt.Add(webhook.MaxAge)) || d.EndedAt.Before(d.RetryUntil) {
		t.Errorf("failed at %v, retried until %v, created %v: want it retried for a day", d.EndedAt, d.RetryUntil, d.CreatedAt)
	}
}

// Replicas deliver side by side, each delivery once.
func TestWebhooksReplicasDeliverOnce(t *testing.T) {
	t.Parallel()
	db := testdb.PostgresURL(t)
	clk := testserver.NewClock(time.Now().UTC().Truncate(time.Second))
	a := startHookServer(t, db, clk, true)
	b := startHookServer(t, db, clk, false)
	r := newReceiver(t)
	a.endpoint(t, a.op.ID, r, webhook.SubscriptionChanged)
	const customers = 30
	var wg sync.WaitGroup
	for i := range customers {
		h := []*hookServer{a, b}[i%2]
		wg.Go(func() { h.create(t, h.caller, "rep-"+jsonInt(int64(i))) })
	}
	wg.Wait()
	waitFor(t, "every event", func() bool { return len(r.events()) == customers }, nil)
	time.Sleep(50 * time.Millisecond) // room for a second delivery, were there one
	seen := r.handledTimes()
	if len(seen) != customers {
		t.Fatalf("%d events delivered, want %d", len(seen), customers)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %d delivered %d times", id, n)
		}
	}
}

// checkDocumented checks deliveries against the webhooks of the OpenAPI
// document: the body against the schema of its type, the headers against
// their patterns.
func checkDocumented(t *testing.T, deliveries []rawDelivery) {
	t.Helper()
	doc := apitest.Document(t).Spec()
	for _, d := range deliveries {
		var body map[string]any
		if err := json.Unmarshal(d.body, &body); err != nil {
			t.Fatalf("delivery body %s: %v", d.body, err)
		}
		typ, _ := body["type"].(string)
		item, ok := doc.Webhooks[typ]
		if !ok || item.Post == nil {
			t.Fatalf("the OpenAPI document has no webhook %q", typ)
		}
		op := item.Post
		if err := op.RequestBody.Value.Content.Get("application/json").Schema.Value.VisitJSON(body); err != nil {
			t.Errorf("%s delivery %s is not as documented: %v", typ, d.body, err)
		}
		for _, p := range op.Parameters {
			v := d.header.Get(p.Value.Name)
			if err := p.Value.Schema.Value.VisitJSON(v); err != nil {
				t.Errorf("%s: %s %q is not as documented: %v", typ, p.Value.Name, v, err)
			}
		}
		if ct := d.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s delivery Content-Type %q", typ, ct)
		}
	}
}
