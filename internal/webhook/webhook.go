// Package webhook is carebridge's signed webhooks: the events an
// operator's endpoints take, the rules of delivering them (at least once,
// in order per customer, retried with backoff for a day), and the
// Deliverer that runs them in the server. Events are written by the
// plugin whose change they report, in that change's transaction (an
// outbox); this package reads them from there.
package webhook

import (
	"context"
	"encoding/json"
	"time"
)

// EventType names what an event reports.
type EventType string

const (
	ChargeCreated       EventType = "charge.created"       // a partner reported a charge; it is PENDING
	ChargeSettled       EventType = "charge.settled"       // a charge left PENDING
	SubscriptionChanged EventType = "subscription.changed" // a subscription was created or changed state
)

// EventTypes are the types an endpoint may take, in the order they are
// listed.
var EventTypes = []EventType{ChargeCreated, ChargeSettled, SubscriptionChanged}

// Event is one change to report, as the outbox keeps it.
type Event struct {
	ID         int64
	OperatorID int64
	Type       EventType
	Customer   string          // the billing system's customer the change concerns
	Data       json.RawMessage // the delivery body's data member
	CreatedAt  time.Time
}

// Endpoint is where an operator takes events.
type Endpoint struct {
	ID         int64
	OperatorID int64
	URL        string
	Events     []EventType
	CreatedAt  time.Time
}

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	Pending   DeliveryState = "pending"   // not yet answered 2xx, still retried
	Delivered DeliveryState = "delivered" // answered 2xx
	Failed    DeliveryState = "failed"    // retried for MaxAge without a 2xx answer
)

// MaxAge is how long a delivery is retried: from its event, or from when
// it was redelivered.
const MaxAge = 24 * time.Hour

// Keep is how long deliveries are kept after they ended, for `webhook
// deliveries` to show.
const Keep = 7 * 24 * time.Hour

// Delivery is one event's delivery to one endpoint.
type Delivery struct {
	ID            int64
	EventID       int64
	EndpointID    int64
	OperatorID    int64
	Type          EventType
	Customer      string
	URL           string
	State         DeliveryState
	Attempts      int
	NextAttemptAt time.Time // when a pending delivery is tried next
	RetryUntil    time.Time // a failed attempt after this ends it Failed
	LastStatus    int       // HTTP status of the last answer; 0: none
	LastError     string    // why the last attempt failed; "": it did not
	CreatedAt     time.Time
	EndedAt       time.Time // when it was delivered or failed; zero while pending
}

// Admin is what operations staff manage endpoints and deliveries with.
type Admin interface {
	// CreateEndpoint stores an endpoint with its signing secret and
	// returns it with its id.
	CreateEndpoint(ctx context.Context, e Endpoint, secret string) (Endpoint, error)
	// Endpoints lists the operator's endpoints by id.
	Endpoints(ctx context.Context, operatorID int64) ([]Endpoint, error)
	// DeleteEndpoint deletes one of the operator's endpoints and its
	// deliveries; ENOTFOUND when the operator has none of that id.
	DeleteEndpoint(ctx context.Context, operatorID, id int64) error
	// Deliveries lists the operator's most recent deliveries, newest
	// first, at most limit; only the failed ones when failedOnly.
	Deliveries(ctx context.Context, operatorID int64, failedOnly bool, limit int) ([]Delivery, error)
	// Redeliver makes a delivery pending again, due at now and retried
	// until now plus MaxAge; ENOTFOUND when there is none of that id.
	// Its attempts go on counting.
	Redeliver(ctx context.Context, id int64, now time.Time) (Delivery, error)
}
