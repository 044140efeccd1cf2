package rpcapi

import (
	"context"
	"encoding/json"
	"time"

	"carebridge/internal/events"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// The Netflix plugin's care methods and events (version 1), for care
// agents of one operator: every method works on the caller's operator's
// customers, and every event reaches that operator's agents only. Times
// are RFC 3339 in UTC, as browsers and scripts read them.

// Events the Netflix plugin publishes on the plane.
const (
	EventSubscriptionChange = "subscriptionchange"
	EventChargeChange       = "chargechange"
)

func (h *Handler) netflixPlugin() *jsonrpc.Plugin {
	p := h.resettable(netflix.Callsign)
	if h.cfg.Netflix == nil {
		return p
	}
	for name, m := range map[string]jsonrpc.Handler{
		"find":         h.find,
		"customer":     h.customer,
		"history":      h.history,
		"suspend":      h.transition(netflix.ActionSuspend),
		"unsuspend":    h.transition(netflix.ActionUnsuspend),
		"cancel":       h.transition(netflix.ActionCancel),
		"reissueToken": h.reissueToken,
		"overview":     h.overview,
	} {
		p.Methods[name] = m
	}
	p.Events = []string{EventSubscriptionChange, EventChargeChange}
	return p
}

// careCaller is the care agent behind a call; the table of roles lets
// only care agents call these methods.
func careCaller(ctx context.Context) identity {
	id, _ := callerOf(ctx)
	return id
}

func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func textOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type customerParams struct {
	Customer string `json:"customer"`
}

type findParams struct {
	Query string `json:"query"`
}

type subscriptionJSON struct {
	Number         string        `json:"number"`
	LifeCycleState netflix.State `json:"life_cycle_state"`
	NetflixState   netflix.State `json:"netflix_state"`
}

func subscriptionOf(s netflix.Subscription) subscriptionJSON {
	return subscriptionJSON{Number: s.Number(), LifeCycleState: s.LifeCycleState, NetflixState: s.NetflixState}
}

type foundJSON struct {
	Customer     string            `json:"customer"`
	FirstName    *string           `json:"first_name"`
	LastName     *string           `json:"last_name"`
	Subscription *subscriptionJSON `json:"subscription"` // null: the customer has charges only
}

// find is Netflix.1.find {query}.
func (h *Handler) find(ctx context.Context, c *jsonrpc.Call) (any, error) {
	var p findParams
	if err := c.Bind(&p); err != nil {
		return nil, err
	}
	found, err := h.cfg.Netflix.Find(ctx, careCaller(ctx).caller, p.Query)
	if err != nil {
		return nil, err
	}
	out := make([]foundJSON, 0, len(found))
	for _, f := range found {
		j := foundJSON{Customer: f.Customer, FirstName: textOrNull(f.FirstName), LastName: textOrNull(f.LastName)}
		if f.Latest != nil {
			s := subscriptionOf(*f.Latest)
			j.Subscription = &s
		}
		out = append(out, j)
	}
	return out, nil
}

type priceJSON struct {
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted"`
}

func priceOf(a money.Amount) priceJSON {
	return priceJSON{Amount: a.Number(), Currency: a.Currency, Formatted: a.Format()}
}

type promotionJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type fileSubscriptionJSON struct {
	subscriptionJSON
	CreatedDate *string          `json:"created_date"`
	Channel     *string          `json:"channel"`
	Promotions  []promotionJSON  `json:"promotions"`
	Prices      []priceJSON      `json:"prices"`
	Actions     []netflix.Action `json:"actions"` // what the state allows now; the role decides the rest
}

type contactJSON struct {
	FirstName *string          `json:"first_name"`
	LastName  *string          `json:"last_name"`
	Address   *netflix.Address `json:"address"`
	Email     *netflix.Email   `json:"email"`
	Phone     *netflix.Phone   `json:"phone"`
}

type chargeJSON struct {
	Number          string               `json:"number"`
	Amount          priceJSON            `json:"amount"`
	LocalAmount     *priceJSON           `json:"local_amount"`
	Status          netflix.ChargeStatus `json:"status"`
	ReceivedOn      *string              `json:"received_on"`
	PaidThroughDate *string              `json:"paid_through_date"`
	StatusDate      *string              `json:"status_date"` // when the current status was set; null while PENDING
	Acknowledged    bool                 `json:"acknowledged"`
	ReferenceNumber *string              `json:"reference_number"`
}

type customerJSON struct {
	Customer      string                 `json:"customer"`
	Subscriptions []fileSubscriptionJSON `json:"subscriptions"`
	Contact       contactJSON            `json:"contact"`
	Charges       []chargeJSON           `json:"charges"`
}

// customer is Netflix.1.customer {customer}.
func (h *Handler) customer(ctx context.Context, c *jsonrpc.Call) (any, error) {
	var p customerParams
	if err := c.Bind(&p); err != nil {
		return nil, err
	}
	f, err := h.cfg.Netflix.Customer(ctx, careCaller(ctx).caller, p.Customer)
	if err != nil {
		return nil, err
	}
	out := customerJSON{
		Customer:      f.Customer,
		Subscriptions: make([]fileSubscriptionJSON, 0, len(f.Subscriptions)),
		Contact: contactJSON{FirstName: textOrNull(f.Contact.FirstName), LastName: textOrNull(f.Contact.LastName),
			Address: f.Contact.Address, Email: f.Contact.Email, Phone: f.Contact.Phone},
		Charges: make([]chargeJSON, 0, len(f.Charges)),
	}
	for _, s := range f.Subscriptions {
		j := fileSubscriptionJSON{subscriptionJSON: subscriptionOf(s.Subscription), CreatedDate: timeJSON(s.CreatedAt),
			Channel: textOrNull(s.Channel), Promotions: []promotionJSON{}, Prices: []priceJSON{}, Actions: s.Actions}
		for _, pr := range s.Promotions {
			j.Promotions = append(j.Promotions, promotionJSON{Code: pr.Code, Name: pr.Name})
		}
		for _, a := range s.Prices {
			j.Prices = append(j.Prices, priceOf(a))
		}
		out.Subscriptions = append(out.Subscriptions, j)
	}
	for _, ch := range f.Charges {
		j := chargeJSON{Number: ch.Number(), Amount: priceOf(ch.Amount), Status: ch.Status,
			ReceivedOn: timeJSON(ch.ReceivedOn), PaidThroughDate: timeJSON(ch.PaidThroughDate),
			StatusDate: timeJSON(ch.StatusDate()), Acknowledged: ch.Acknowledged, ReferenceNumber: textOrNull(ch.ReferenceNumber)}
		if ch.LocalAmount.Currency != "" {
			l := priceOf(ch.LocalAmount)
			j.LocalAmount = &l
		}
		out.Charges = append(out.Charges, j)
	}
	return out, nil
}

type historyJSON struct {
	At                 *string        `json:"at"`
	Actor              string         `json:"actor"`
	Action             netflix.Action `json:"action"`
	SubscriptionNumber string         `json:"subscription_number"`
	From               *netflix.State `json:"from"` // null for a create
	To                 netflix.State  `json:"to"`
	Reason             *string        `json:"reason"`
}

// history is Netflix.1.history {customer}.
func (h *Handler) history(ctx context.Context, c *jsonrpc.Call) (any, error) {
	var p customerParams
	if err := c.Bind(&p); err != nil {
		return nil, err
	}
	entries, err := h.cfg.Netflix.History(ctx, careCaller(ctx).caller, p.Customer)
	if err != nil {
		return nil, err
	}
	out := make([]historyJSON, 0, len(entries))
	for _, e := range entries {
		j := historyJSON{At: timeJSON(e.At), Actor: e.Actor, Action: e.Action, SubscriptionNumber: e.SubscriptionNumber, To: e.To}
		if e.From != "" {
			from := e.From
			j.From = &from
		}
		if e.HasReason {
			reason := e.Reason
			j.Reason = &reason
		}
		out = append(out, j)
	}
	return out, nil
}

type transitionParams struct {
	Customer string `json:"customer"`
	Reason   string `json:"reason"`
}

// transition is Netflix.1.suspend, unsuspend and cancel {customer, reason}.
func (h *Handler) transition(action netflix.Action) jsonrpc.Handler {
	return func(ctx context.Context, c *jsonrpc.Call) (any, error) {
		var p transitionParams
		if err := c.Bind(&p); err != nil {
			return nil, err
		}
		sub, err := h.cfg.Netflix.CareTransition(ctx, careCaller(ctx).caller, p.Customer, action, p.Reason)
		if err != nil {
			return nil, err
		}
		return subscriptionOf(sub), nil
	}
}

type reissueParams struct {
	Customer string `json:"customer"`
	// ValidityDuration is in seconds, as subscriptions/create takes it;
	// absent: the default.
	ValidityDuration *int64 `json:"validity_duration"`
}

type reissuedJSON struct {
	Token     string  `json:"netflix_token"`
	ExpiresOn *string `json:"netflix_token_expiration_date"`
}

// reissueToken is Netflix.1.reissueToken {customer, validity_duration?}.
func (h *Handler) reissueToken(ctx context.Context, c *jsonrpc.Call) (any, error) {
	var p reissueParams
	if err := c.Bind(&p); err != nil {
		return nil, err
	}
	var validity time.Duration // 0: the default
	if v := p.ValidityDuration; v != nil {
		// Given, it is checked by the plugin; one that is no duration at
		// all (0 or less, or beyond any bound) reaches it as one it
		// refuses.
		validity = time.Duration(min(*v, 1<<32)) * time.Second
		if *v < 1 {
			validity = -time.Second
		}
	}
	tok, err := h.cfg.Netflix.ReissueToken(ctx, careCaller(ctx).caller, p.Customer, validity)
	if err != nil {
		return nil, err
	}
	return reissuedJSON{Token: tok.Token, ExpiresOn: timeJSON(tok.ExpiresAt)}, nil
}

// chargeCountsJSON holds every status, in the order of
// netflix.ChargeStatuses.
type chargeCountsJSON struct {
	Pending    int64 `json:"PENDING"`
	Approved   int64 `json:"APPROVED"`
	Declined   int64 `json:"DECLINED"`
	BadRequest int64 `json:"BAD_REQUEST"`
	Rejected   int64 `json:"REJECTED"`
}

type overviewJSON struct {
	Charges       chargeCountsJSON `json:"charges"`
	OldestPending *string          `json:"oldest_pending"` // null: none is PENDING
	// OldestPendingAgeSeconds is null when none is PENDING.
	OldestPendingAgeSeconds *int64 `json:"oldest_pending_age_seconds"`
}

// overview is Netflix.1.overview, which takes no parameters: params
// absent, null or {} (Thunder's form of a call without parameters), and
// anything else is invalid.
func (h *Handler) overview(ctx context.Context, c *jsonrpc.Call) (any, error) {
	if err := c.Bind(&struct{}{}); err != nil {
		return nil, err
	}
	o, err := h.cfg.Netflix.Overview(ctx, careCaller(ctx).caller)
	if err != nil {
		return nil, err
	}
	n := o.Charges
	out := overviewJSON{Charges: chargeCountsJSON{Pending: n[netflix.Pending], Approved: n[netflix.Approved],
		Declined: n[netflix.Declined], BadRequest: n[netflix.BadRequest], Rejected: n[netflix.Rejected]},
		OldestPending: timeJSON(o.OldestPending)}
	if !o.OldestPending.IsZero() {
		age := int64(o.OldestPendingAge / time.Second)
		out.OldestPendingAgeSeconds = &age
	}
	return out, nil
}

// SubscriptionChangeJSON is the params of Netflix's subscriptionchange.
type SubscriptionChangeJSON struct {
	Customer           string        `json:"customer"`
	SubscriptionNumber string        `json:"subscription_number"`
	LifeCycleState     netflix.State `json:"life_cycle_state"`
	NetflixState       netflix.State `json:"netflix_state"`
	Actor              string        `json:"actor"`
	Reason             *string       `json:"reason"`
}

// ChargeChangeJSON is the params of Netflix's chargechange.
type ChargeChangeJSON struct {
	Number       string               `json:"number"`
	Customer     string               `json:"customer"`
	ChargeStatus netflix.ChargeStatus `json:"charge_status"`
}

// Notifier is what the Netflix plugin tells of its committed changes:
// each becomes an event for the care agents of the operator concerned, on
// every replica.
func (h *Handler) Notifier() netflix.Notifier { return planeNotifier{h} }

type planeNotifier struct{ h *Handler }

func (n planeNotifier) SubscriptionChanged(ctx context.Context, c netflix.SubscriptionChange) {
	n.publish(ctx, c.OperatorID, EventSubscriptionChange, SubscriptionChangeJSON{
		Customer: c.Customer, SubscriptionNumber: c.Number, LifeCycleState: c.LifeCycleState,
		NetflixState: c.NetflixState, Actor: c.Actor, Reason: textOrNull(c.Reason),
	})
}

func (n planeNotifier) ChargeChanged(ctx context.Context, c netflix.ChargeChange) {
	n.publish(ctx, c.OperatorID, EventChargeChange, ChargeChangeJSON{Number: c.Number, Customer: c.Customer, ChargeStatus: c.Status})
}

// publish sends an event to every replica. The change is committed
// whatever happens here: a lost event is logged, not an error of the
// request that made the change.
func (n planeNotifier) publish(ctx context.Context, operator int64, event string, params any) {
	b, err := json.Marshal(params)
	if err == nil {
		err = n.h.cfg.Publish(context.WithoutCancel(ctx), events.Message{
			Kind: events.PluginEvent, Callsign: netflix.Callsign, Event: event, Params: b, Operator: operator,
		})
	}
	if err != nil {
		n.h.log.WarnContext(ctx, "rpcapi: publish a Netflix event", "event", event, "err", err)
	}
}
