package rpcapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/demo"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// crm calls a CRM.COM method of the demo user's with a JSON body and
// fails the test unless it answers OK.
func (p *plane) crm(method string, params map[string]any) {
	p.t.Helper()
	if p.crmToken == "" {
		status, b := p.post("/crmapi/rest/v2/authentication/token", "", []byte(`{"organisation":"demo","username":"demo","password":"demo"}`))
		if status != http.StatusOK {
			p.t.Fatalf("CRM.COM login: %d %s", status, b)
		}
		p.crmToken = crmTokenOf(p.t, b)
	}
	params["token"] = p.crmToken
	body, _ := json.Marshal(params)
	status, b := p.post("/crmapi/rest/v2/"+method, "", body)
	if status != http.StatusOK || !strings.Contains(string(b), `"code":"OK"`) {
		p.t.Fatalf("%s: %d %s", method, status, b)
	}
}

// settle runs the charge processor until nothing is PENDING: the
// server's own may hold a batch at the same time, and is waited for.
func (p *plane) settle() {
	p.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(waitFor)
	for {
		if _, err := p.srv.App.Processor.Drain(ctx); err != nil {
			p.t.Fatal(err)
		}
		pending, err := p.srv.App.Netflix.Store.PendingCharges(ctx, time.Now())
		if err != nil {
			p.t.Fatal(err)
		}
		if pending.Count == 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%d charges still PENDING after %v", pending.Count, waitFor)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ingest reports charges of the demo operator as the partner would.
func (p *plane) ingest(op int64, charges ...netflix.NewCharge) []netflix.IngestResult {
	p.t.Helper()
	res, err := p.srv.App.Netflix.Ingest(context.Background(), op, charges, "")
	if err != nil {
		p.t.Fatal(err)
	}
	return res
}

func newCharge(id, customer string, minor int64) netflix.NewCharge {
	now := time.Now().UTC().Truncate(time.Second)
	return netflix.NewCharge{PartnerChargeID: id, Customer: customer, Amount: money.Amount{Minor: minor, Currency: "EUR"},
		PaidThroughDate: now, ReceivedOn: now}
}

// tenant is another operator with a care agent and a customer of its own:
// in the demo organisation (another operator) or in another organisation.
type tenant struct {
	op    carebridge.Operator
	token string // its care agent's session
}

func (p *plane) addTenant(org, operator, customer string) tenant {
	p.t.Helper()
	ctx := context.Background()
	tn := p.srv.Stores.Tenancy
	o, err := tn.OrganisationByName(ctx, org)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		o, err = tn.CreateOrganisation(ctx, org, time.Now())
	}
	if err != nil {
		p.t.Fatal(err)
	}
	op, err := tn.CreateOperator(ctx, carebridge.Operator{OrganisationID: o.ID, Name: operator, CreatedAt: time.Now()})
	if err != nil {
		p.t.Fatal(err)
	}
	hash, err := auth.HashPassword(ctx, "agent-password")
	if err != nil {
		p.t.Fatal(err)
	}
	user := "agent-of-" + operator
	if _, err := tn.CreateUser(ctx, carebridge.User{OrganisationID: o.ID, OperatorID: op.ID, Username: user,
		PasswordHash: hash, Role: carebridge.RoleSupervisor, CreatedAt: time.Now()}); err != nil {
		p.t.Fatal(err)
	}
	caller := carebridge.Caller{Username: "billing", OperatorID: op.ID, OrganisationID: o.ID}
	if _, err := p.srv.App.Netflix.Create(ctx, caller, netflix.CreateRequest{Customer: customer, Channel: "OTHER"}); err != nil {
		p.t.Fatal(err)
	}
	return tenant{op: op, token: p.login(org, user, "agent-password")}
}

type found struct {
	Customer     string
	FirstName    *string `json:"first_name"`
	Subscription *struct {
		Number         string
		LifeCycleState string `json:"life_cycle_state"`
	}
}

func customersOf(fs []found) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Customer)
	}
	return out
}

// Each care method over HTTP and over the WebSocket, on both engines,
// answering the same.
func TestCareMethods(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		p.settle()
		agent, super := p.tokens[carebridge.RoleCare], p.tokens[carebridge.RoleSupervisor]
		ws := p.ws(agent)
		id := 0
		// both makes the call over HTTP and over the WebSocket, checks
		// that they answer alike, and decodes the result into v.
		both := func(token, method string, params any, v any) answer {
			t.Helper()
			a := p.rpc(token, method, params)
			id++
			w := ws
			if token != agent {
				w = p.ws(token)
			}
			b := w.call(id, method, params)
			if string(a.Result) != string(b.Result) || (a.Error == nil) != (b.Error == nil) || a.Error != nil && *a.Error != *b.Error {
				t.Fatalf("%s: HTTP %s, WebSocket %s", method, a.Raw, b.Raw)
			}
			if v != nil && a.Error == nil {
				if err := json.Unmarshal(a.Result, v); err != nil {
					t.Fatal(err)
				}
			}
			return a
		}

		// find: the exact identifier, a prefix, a subscription number, a
		// charge number; too short a prefix finds nothing.
		var fs []found
		both(agent, "Netflix.1.find", map[string]any{"query": "pci150"}, &fs)
		if len(fs) != 1 || fs[0].Customer != "pci150" || fs[0].Subscription == nil || fs[0].Subscription.LifeCycleState != "EFFECTIVE" {
			t.Fatalf("find pci150: %+v", fs)
		}
		number := fs[0].Subscription.Number
		both(agent, "Netflix.1.find", map[string]any{"query": "1pci"}, &fs)
		if got := customersOf(fs); !slices.Equal(got, []string{"1pci26", "1pci28", "1pci30"}) {
			t.Fatalf("find 1pci: %v", got)
		}
		for _, q := range []string{number, "I00002662"} {
			both(agent, "Netflix.1.find", map[string]any{"query": q}, &fs)
			if got := customersOf(fs); !slices.Equal(got, []string{"pci150"}) {
				t.Fatalf("find %s: %v", q, got)
			}
		}
		both(agent, "Netflix.1.find", map[string]any{"query": "pc"}, &fs)
		if len(fs) != 0 {
			t.Fatalf("find pc: %v", customersOf(fs))
		}
		if a := both(agent, "Netflix.1.find", map[string]any{}, nil); a.Error == nil || a.Error.Code != jsonrpc.CodeInvalidParams {
			t.Fatalf("find without a query: %s", a.Raw)
		}
		// Parameters are named as the plane names them.
		for _, m := range []string{"customer", "history", "suspend", "reissueToken"} {
			if a := both(agent, "Netflix.1."+m, map[string]any{"customer": " pci150"}, nil); a.Error == nil || a.Error.Message != "customer must not begin or end with spaces." {
				t.Fatalf("%s of \" pci150\": %s", m, a.Raw)
			}
		}
		if a := both(agent, "Netflix.1.customer", map[string]any{}, nil); a.Error == nil || a.Error.Message != "customer is mandatory." {
			t.Fatalf("customer without a customer: %s", a.Raw)
		}

		// customer: subscriptions, contact, charges with their money.
		var file struct {
			Customer      string
			Subscriptions []struct {
				Number         string
				LifeCycleState string  `json:"life_cycle_state"`
				CreatedDate    *string `json:"created_date"`
				Channel        *string
				Promotions     []any
				Prices         []struct{ Amount, Currency, Formatted string }
				Actions        []string
			}
			Contact struct {
				FirstName *string `json:"first_name"`
			}
			Charges []struct {
				Number       string
				Amount       struct{ Amount, Currency, Formatted string }
				Status       string
				StatusDate   *string `json:"status_date"`
				Acknowledged bool
			}
		}
		both(agent, "Netflix.1.customer", map[string]any{"customer": "pci150"}, &file)
		if len(file.Subscriptions) != 1 || file.Subscriptions[0].Number != number || *file.Subscriptions[0].Channel != "OTHER" ||
			file.Subscriptions[0].CreatedDate == nil || len(file.Subscriptions[0].Prices) != 1 ||
			file.Subscriptions[0].Prices[0] != (struct{ Amount, Currency, Formatted string }{"5.99", "USD", "$5.99"}) {
			t.Fatalf("customer pci150: %+v", file)
		}
		if got := file.Subscriptions[0].Actions; !slices.Equal(got, []string{"suspend", "cancel", "reissue_token"}) {
			t.Fatalf("actions of an EFFECTIVE subscription: %v", got)
		}
		if len(file.Charges) != 2 || file.Charges[0].Number != "I00002671" || file.Charges[1].Number != "I00002662" ||
			file.Charges[0].Amount.Formatted != "$5.99" || file.Charges[0].Status != "APPROVED" || file.Charges[0].StatusDate == nil || file.Charges[0].Acknowledged {
			t.Fatalf("customer pci150's charges: %+v", file.Charges)
		}

		// Transitions with a reason; cancel is a supervisor's.
		var sub struct {
			Number         string
			LifeCycleState string `json:"life_cycle_state"`
			NetflixState   string `json:"netflix_state"`
		}
		if a := both(agent, "Netflix.1.suspend", map[string]any{"customer": "pci150"}, nil); a.Error == nil || a.Error.Code != jsonrpc.CodeInvalidParams {
			t.Fatalf("suspend without a reason: %s", a.Raw)
		}
		if a := both(agent, "Netflix.1.suspend", map[string]any{"customer": "pci150", "reason": strings.Repeat("r", 501)}, nil); a.Error == nil || a.Error.Code != jsonrpc.CodeInvalidParams {
			t.Fatalf("suspend with 501 characters of reason: %s", a.Raw)
		}
		p.ok(agent, "Netflix.1.suspend", map[string]any{"customer": "pci150", "reason": "Customer asked for a pause."}, &sub)
		if sub.Number != number || sub.LifeCycleState != "NOT_EFFECTIVE" || sub.NetflixState != "NOT_EFFECTIVE" {
			t.Fatalf("suspend: %+v", sub)
		}
		both(agent, "Netflix.1.customer", map[string]any{"customer": "pci150"}, &file)
		if got := file.Subscriptions[0].Actions; !slices.Equal(got, []string{"unsuspend", "cancel"}) {
			t.Fatalf("actions of a NOT_EFFECTIVE subscription: %v", got)
		}
		// The same state machine as the CRM.COM face: a second suspend is
		// refused (Thunder's illegal state), over either transport.
		if a := both(agent, "Netflix.1.suspend", map[string]any{"customer": "pci150", "reason": "again"}, nil); a.Error == nil || a.Error.Code != jsonrpc.CodeIllegalState {
			t.Fatalf("second suspend: %s", a.Raw)
		}
		if a := p.rpc(agent, "Netflix.1.cancel", map[string]any{"customer": "pci150", "reason": "x"}); a.Error == nil || a.Error.Code != jsonrpc.CodeNotAllowed {
			t.Fatalf("cancel by a care agent: %s", a.Raw)
		}
		p.ok(agent, "Netflix.1.unsuspend", map[string]any{"customer": "pci150", "reason": "Paid."}, &sub)
		if sub.LifeCycleState != "EFFECTIVE" {
			t.Fatalf("unsuspend: %+v", sub)
		}

		// The same over the WebSocket, on another customer.
		superWS := p.ws(super)
		wsOK := func(w *wsClient, method string, params any, v any) {
			t.Helper()
			id++
			a := w.call(id, method, params)
			if a.Error != nil {
				t.Fatalf("%s over the WebSocket: %s", method, a.Raw)
			}
			if err := json.Unmarshal(a.Result, v); err != nil {
				t.Fatal(err)
			}
		}
		wsOK(ws, "Netflix.1.suspend", map[string]any{"customer": "1pci26", "reason": "Over the socket."}, &sub)
		if sub.LifeCycleState != "NOT_EFFECTIVE" {
			t.Fatalf("suspend over the WebSocket: %+v", sub)
		}
		wsOK(ws, "Netflix.1.unsuspend", map[string]any{"customer": "1pci26", "reason": "Back."}, &sub)
		if sub.LifeCycleState != "EFFECTIVE" {
			t.Fatalf("unsuspend over the WebSocket: %+v", sub)
		}
		wsOK(superWS, "Netflix.1.cancel", map[string]any{"customer": "1pci28", "reason": "Closed the account."}, &sub)
		if sub.LifeCycleState != "CANCELLED" {
			t.Fatalf("cancel over the WebSocket: %+v", sub)
		}

		// A fresh activation token for an EFFECTIVE subscription only.
		var tok struct {
			Token     string  `json:"netflix_token"`
			ExpiresOn *string `json:"netflix_token_expiration_date"`
		}
		p.ok(agent, "Netflix.1.reissueToken", map[string]any{"customer": "1pci30", "validity_duration": 600}, &tok)
		if tok.Token == "" || tok.ExpiresOn == nil {
			t.Fatalf("reissueToken: %+v", tok)
		}
		if exp, err := time.Parse(time.RFC3339, *tok.ExpiresOn); err != nil || exp.Sub(time.Now()) > 11*time.Minute || exp.Sub(time.Now()) < 9*time.Minute {
			t.Fatalf("reissued token expires %v (%v); want in 10 minutes", *tok.ExpiresOn, err)
		}
		var wsTok struct {
			Token string `json:"netflix_token"`
		}
		wsOK(ws, "Netflix.1.reissueToken", map[string]any{"customer": "1pci26"}, &wsTok)
		if wsTok.Token == "" || wsTok.Token == tok.Token {
			t.Fatalf("reissueToken over the WebSocket: %+v", wsTok)
		}
		for _, v := range []any{0, -5, 86401, "600"} {
			if a := p.rpc(agent, "Netflix.1.reissueToken", map[string]any{"customer": "1pci30", "validity_duration": v}); a.Error == nil || a.Error.Code != jsonrpc.CodeInvalidParams {
				t.Errorf("reissueToken with validity_duration %v: %s", v, a.Raw)
			}
		}
		p.ok(super, "Netflix.1.cancel", map[string]any{"customer": "1pci30", "reason": "Moved abroad."}, &sub)
		if sub.LifeCycleState != "CANCELLED" {
			t.Fatalf("cancel: %+v", sub)
		}
		both(agent, "Netflix.1.customer", map[string]any{"customer": "1pci30"}, &file)
		if got := file.Subscriptions[0].Actions; len(got) != 0 || got == nil {
			t.Fatalf("actions of a CANCELLED subscription: %#v", got)
		}
		if a := both(agent, "Netflix.1.reissueToken", map[string]any{"customer": "1pci30"}, nil); a.Error == nil || a.Error.Code != jsonrpc.CodeIllegalState {
			t.Fatalf("reissueToken of a cancelled subscription: %s", a.Raw)
		}

		// history: oldest first, with actors and reasons.
		var hist []struct {
			Actor, Action, To string
			From              *string
			Reason            *string
		}
		both(agent, "Netflix.1.history", map[string]any{"customer": "pci150"}, &hist)
		type step struct{ actor, action, reason string }
		var got []step
		for _, h := range hist {
			r := "<null>"
			if h.Reason != nil {
				r = *h.Reason
			}
			got = append(got, step{h.Actor, h.Action, r})
		}
		want := []step{{"demo-loader", "create", "<null>"}, {demo.CareAgent, "suspend", "Customer asked for a pause."}, {demo.CareAgent, "unsuspend", "Paid."}}
		if !slices.Equal(got, want) {
			t.Fatalf("history: %+v, want %+v", got, want)
		}
		both(agent, "Netflix.1.history", map[string]any{"customer": "1pci30"}, &hist)
		if len(hist) != 3 || hist[1].Action != "reissue_token" || hist[2].Action != "cancel" || hist[2].Actor != demo.Supervisor {
			t.Fatalf("history of 1pci30: %+v", hist)
		}
	})
}

// A customer of another operator, or of another organisation, is answered
// exactly as one nobody has: by every method, over both transports.
func TestCareTenantIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		p.addTenant(demo.Organisation, "other-operator", "theirs-1")
		p.addTenant("other-org", "elsewhere", "theirs-2")
		agent, super := p.tokens[carebridge.RoleCare], p.tokens[carebridge.RoleSupervisor]
		ws := p.ws(super)
		for i, m := range []string{"customer", "history", "suspend", "unsuspend", "cancel", "reissueToken"} {
			var messages []string
			for _, customer := range []string{"theirs-1", "theirs-2", "nobody-has-1"} {
				params := map[string]any{"customer": customer, "reason": "looking"}
				if m == "customer" || m == "history" || m == "reissueToken" {
					delete(params, "reason")
				}
				for _, a := range []answer{p.rpc(super, "Netflix.1."+m, params), ws.call(i+1, "Netflix.1."+m, params)} {
					if a.Error == nil || a.Error.Code != jsonrpc.CodeUnknownKey {
						t.Fatalf("%s of %s: %s", m, customer, a.Raw)
					}
					messages = append(messages, strings.Replace(a.Error.Message, customer, "X", 1))
				}
			}
			for _, msg := range messages {
				if msg != messages[0] {
					t.Errorf("%s: the answers differ: %q", m, messages)
				}
			}
		}
		var fs []found
		for _, q := range []string{"theirs-1", "theirs", "the"} {
			p.ok(agent, "Netflix.1.find", map[string]any{"query": q}, &fs)
			if len(fs) != 0 {
				t.Errorf("find %q found another tenant's %v", q, customersOf(fs))
			}
		}
	})
}

// A history written by the CRM.COM face, the care plane and settlement
// reads back in order, with each actor and reason.
func TestHistoryOfThreeActors(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		agent := p.tokens[carebridge.RoleCare]
		customer := map[string]any{"billing_system_customer_identifier": "three-actors"}
		p.crm("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "three-actors", "channel": "OTHER",
			"customer_first_name": "Ada", "customer_last_name": "Byron"})
		p.ok(agent, "Netflix.1.suspend", map[string]any{"customer": "three-actors", "reason": "Card stolen."}, nil)
		p.crm("netflix/subscriptions/unsuspend", customer)
		p.ok(agent, "Netflix.1.suspend", map[string]any{"customer": "three-actors", "reason": "Asked to pause."}, nil)
		res := p.ingest(p.op.ID, newCharge("three-1", "three-actors", 999))
		p.settle() // DECLINED: the subscription is suspended; settlement ends it
		charge := netflix.ChargeNumber(res[0].ChargeID)

		var hist []struct {
			At, Actor, Action, To string
			From                  *string
			Reason                *string
		}
		p.ok(agent, "Netflix.1.history", map[string]any{"customer": "three-actors"}, &hist)
		type step struct{ actor, action, from, to, reason string }
		var got []step
		str := func(s *string) string {
			if s == nil {
				return "<null>"
			}
			return *s
		}
		for _, h := range hist {
			if _, err := time.Parse(time.RFC3339, h.At); err != nil {
				t.Errorf("at %q: %v", h.At, err)
			}
			got = append(got, step{h.Actor, h.Action, str(h.From), h.To, str(h.Reason)})
		}
		want := []step{
			{demo.Username, "create", "<null>", "EFFECTIVE", "<null>"},
			{demo.CareAgent, "suspend", "EFFECTIVE", "NOT_EFFECTIVE", "Card stolen."},
			{demo.Username, "unsuspend", "NOT_EFFECTIVE", "EFFECTIVE", "<null>"},
			{demo.CareAgent, "suspend", "EFFECTIVE", "NOT_EFFECTIVE", "Asked to pause."},
			{netflix.SettlementActor, "cancel", "NOT_EFFECTIVE", "CANCELLED", "Charge " + charge + " settled DECLINED."},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("history:\n got %+v\nwant %+v", got, want)
		}
	})
}
