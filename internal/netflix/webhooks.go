package netflix

import (
	"context"
	"encoding/json"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/webhook"
)

// The plugin's changes reach the operator's webhook endpoints through the
// outbox: each event is published by the transaction that makes the
// change, so that a change is never committed without its event, nor an
// event without its change.

// subscriptionEventJSON is the data of a subscription.changed event.
type subscriptionEventJSON struct {
	Number         string  `json:"number"`
	Customer       string  `json:"billing_system_customer_identifier"`
	Action         Action  `json:"action"`
	FromState      *State  `json:"from_state"` // null for a create
	LifeCycleState State   `json:"life_cycle_state"`
	NetflixState   State   `json:"netflix_state"`
	Actor          string  `json:"actor"`
	Reason         *string `json:"reason"`
	ChangedAt      string  `json:"changed_at"`
}

// chargeEventJSON is the data of the charge.created and charge.settled
// events.
type chargeEventJSON struct {
	Number          string      `json:"number"`
	Customer        string      `json:"billing_system_customer_identifier"`
	PartnerChargeID string      `json:"partner_charge_id"`
	Status          string      `json:"status"`
	Amount          json.Number `json:"amount"`
	Currency        string      `json:"currency"`
	ReceivedOn      string      `json:"received_on"`          // when the partner received the payment
	SettledAt       string      `json:"settled_at,omitempty"` // charge.settled
	Actor           string      `json:"actor,omitempty"`      // charge.settled
}

// recordChange appends a step to a subscription's audit trail and
// publishes it: sub is the subscription as the step left it.
func recordChange(ctx context.Context, tx Tx, ev Event, sub Subscription) error {
	if err := tx.InsertEvent(ctx, ev); err != nil {
		return err
	}
	data := subscriptionEventJSON{
		Number: sub.Number(), Customer: sub.Customer, Action: ev.Action,
		LifeCycleState: sub.LifeCycleState, NetflixState: sub.NetflixState,
		Actor: ev.ActorUsername, ChangedAt: eventTime(ev.At),
	}
	if ev.From != "" {
		data.FromState = &ev.From
	}
	if ev.Reason != "" {
		data.Reason = &ev.Reason
	}
	return publish(ctx, tx, sub.OperatorID, webhook.SubscriptionChanged, sub.Customer, ev.At, data)
}

// publishCreated publishes the charges a report created.
func publishCreated(ctx context.Context, tx Tx, operatorID int64, charges []NewCharge, inserted map[string]int64, at time.Time) error {
	events := make([]webhook.Event, 0, len(inserted))
	for _, c := range charges {
		id, ok := inserted[c.PartnerChargeID]
		if !ok {
			continue
		}
		ev, err := newEvent(operatorID, webhook.ChargeCreated, c.Customer, at, chargeEventJSON{
			Number: ChargeNumber(id), Customer: c.Customer, PartnerChargeID: c.PartnerChargeID,
			Status: string(Pending), Amount: amountNumber(c.Amount), Currency: c.Amount.Currency,
			ReceivedOn: eventTime(c.ReceivedOn),
		})
		if err != nil {
			return err
		}
		events = append(events, ev)
	}
	return tx.PublishEvents(ctx, events)
}

// publishSettled publishes a charge's settlement.
func publishSettled(ctx context.Context, tx Tx, c Charge, status ChargeStatus, actor string, at time.Time) error {
	return publish(ctx, tx, c.OperatorID, webhook.ChargeSettled, c.Customer, at, chargeEventJSON{
		Number: c.Number(), Customer: c.Customer, PartnerChargeID: c.PartnerChargeID,
		Status: string(status), Amount: amountNumber(c.Amount), Currency: c.Amount.Currency,
		ReceivedOn: eventTime(c.ReceivedOn), SettledAt: eventTime(at), Actor: actor,
	})
}

func publish(ctx context.Context, tx Tx, operatorID int64, typ webhook.EventType, customer string, at time.Time, data any) error {
	ev, err := newEvent(operatorID, typ, customer, at, data)
	if err != nil {
		return err
	}
	return tx.PublishEvents(ctx, []webhook.Event{ev})
}

func newEvent(operatorID int64, typ webhook.EventType, customer string, at time.Time, data any) (webhook.Event, error) {
	raw, err := json.Marshal(data)
	return webhook.Event{OperatorID: operatorID, Type: typ, Customer: customer, Data: raw, CreatedAt: storedTime(at)}, err
}

// eventTime is how events write a time: RFC 3339 in UTC, to the second.
func eventTime(t time.Time) string { return storedTime(t).Format(time.RFC3339) }

// amountNumber writes money with its currency's decimals, as a JSON number.
func amountNumber(a money.Amount) json.Number { return json.Number(a.Number()) }
