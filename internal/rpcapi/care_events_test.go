package rpcapi_test

import (
	"encoding/json"
	"testing"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/netflix"
)

type subscriptionEvent struct {
	Customer           string
	SubscriptionNumber string `json:"subscription_number"`
	LifeCycleState     string `json:"life_cycle_state"`
	NetflixState       string `json:"netflix_state"`
	Actor              string
	Reason             *string
}

type chargeEvent struct {
	Number, Customer string
	ChargeStatus     string `json:"charge_status"`
}

// register subscribes a care agent's WebSocket to both Netflix events
// under id.
func (w *wsClient) registerNetflix(id string) {
	w.t.Helper()
	for i, event := range []string{"subscriptionchange", "chargechange"} {
		if a := w.call(900+i, "Netflix.1.register", map[string]any{"event": event, "id": id}); a.Error != nil || string(a.Result) != "null" {
			w.t.Fatalf("register %s: %s", event, a.Raw)
		}
	}
}

// first reads the next message, which must be a notification of method,
// into v.
func (w *wsClient) first(method string, v any) {
	w.t.Helper()
	var m struct {
		Method string
		Params json.RawMessage
	}
	b := w.next()
	if err := json.Unmarshal(b, &m); err != nil || m.Method != method {
		w.t.Fatalf("next message %s; want a notification of %s", b, method)
	}
	if err := json.Unmarshal(m.Params, v); err != nil {
		w.t.Fatal(err)
	}
}

// The Netflix plugin's events: every change of a subscription, from the
// CRM.COM face, the care plane or settlement, and of a charge, from intake
// or settlement, reaches the care agents of the operator concerned, and
// only them.
func TestCareEvents(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, db func(tb testing.TB) string) {
		p := startPlane(t, db(t))
		p.settle()
		other := p.addTenant(demo.Organisation, "other-operator", "theirs")
		stranger := p.addTenant("other-org", "elsewhere", "strangers")
		agent := p.ws(p.tokens[carebridge.RoleCare])
		agent.registerNetflix("a")
		theirs := p.ws(other.token)
		theirs.registerNetflix("o")
		strangers := p.ws(stranger.token)
		strangers.registerNetflix("s")

		var sub subscriptionEvent
		// The CRM.COM face: the API user, no reason.
		p.crm("netflix/subscriptions/suspend", map[string]any{"billing_system_customer_identifier": "pci150"})
		agent.notification("a.subscriptionchange", &sub)
		if sub.Customer != "pci150" || sub.LifeCycleState != "NOT_EFFECTIVE" || sub.NetflixState != "NOT_EFFECTIVE" || sub.Actor != demo.Username || sub.Reason != nil || sub.SubscriptionNumber == "" {
			t.Fatalf("subscriptionchange from the CRM.COM face: %+v", sub)
		}
		// The care plane: the agent and the reason.
		p.ok(p.tokens[carebridge.RoleCare], "Netflix.1.unsuspend", map[string]any{"customer": "pci150", "reason": "Paid."}, nil)
		agent.notification("a.subscriptionchange", &sub)
		if sub.LifeCycleState != "EFFECTIVE" || sub.Actor != demo.CareAgent || sub.Reason == nil || *sub.Reason != "Paid." {
			t.Fatalf("subscriptionchange from the care plane: %+v", sub)
		}
		// Intake, then settlement: PENDING, then DECLINED for a suspended
		// subscription, which settlement ends.
		p.crm("netflix/subscriptions/suspend", map[string]any{"billing_system_customer_identifier": "1pci28"})
		agent.notification("a.subscriptionchange", &sub)
		res := p.ingest(p.op.ID, newCharge("ev-1", "1pci28", 500))
		var ch chargeEvent
		agent.notification("a.chargechange", &ch)
		if ch.Number != netflix.ChargeNumber(res[0].ChargeID) || ch.Customer != "1pci28" || ch.ChargeStatus != "PENDING" {
			t.Fatalf("chargechange from intake: %+v", ch)
		}
		p.settle()
		agent.notification("a.chargechange", &ch)
		if ch.ChargeStatus != "DECLINED" {
			t.Fatalf("chargechange from settlement: %+v", ch)
		}
		agent.notification("a.subscriptionchange", &sub)
		if sub.Customer != "1pci28" || sub.LifeCycleState != "CANCELLED" || sub.Actor != netflix.SettlementActor || sub.Reason == nil {
			t.Fatalf("subscriptionchange from settlement: %+v", sub)
		}

		// Isolation: the other tenants' agents heard none of that. Each
		// hears its own change next, published after all of the above, so
		// anything of the demo operator's would have come first.
		for _, tn := range []struct {
			w        *wsClient
			id       string
			op       int64
			customer string
		}{{theirs, "o", other.op.ID, "theirs"}, {strangers, "s", stranger.op.ID, "strangers"}} {
			p.ingest(tn.op, newCharge("iso-"+tn.customer, tn.customer, 100))
			tn.w.first(tn.id+".chargechange", &ch)
			if ch.Customer != tn.customer {
				t.Fatalf("%s heard %+v first", tn.customer, ch)
			}
		}
		// And the demo operator's agent hears its own next, not theirs.
		p.ingest(p.op.ID, newCharge("ev-2", "pci150", 500))
		agent.first("a.chargechange", &ch)
		if ch.Customer != "pci150" {
			t.Fatalf("the demo agent heard %+v", ch)
		}
	})
}
