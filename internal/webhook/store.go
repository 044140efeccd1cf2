package webhook

import (
	"context"
	"time"
)

// Store is the delivery queue the Deliverer works from. Each method is one
// transaction.
type Store interface {
	// ClaimDeliveries claims up to limit pending deliveries due at now,
	// each until until, and counts the attempt: a process claiming at the
	// same time gets others, and a claim that ran out (its process died)
	// may be claimed again. A delivery is claimed only when no delivery of
	// an earlier event to the same endpoint and customer is pending.
	ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]Attempt, error)
	// RecordAttempt records the outcome of an attempt, unless the delivery
	// has been claimed again since, or is no longer pending (false).
	RecordAttempt(ctx context.Context, o Outcome) (bool, error)
	// PurgeDeliveries deletes the deliveries that ended before t, and the
	// events before t left with none; it reports how many deliveries.
	PurgeDeliveries(ctx context.Context, before time.Time) (int64, error)
}

// Attempt is one claimed attempt at a delivery.
type Attempt struct {
	Delivery   int64
	Number     int // the attempt's number, from 1; it fences the outcome
	Event      Event
	EndpointID int64
	URL        string
	Secret     string
	RetryUntil time.Time
}

// Outcome is what became of an attempt.
type Outcome struct {
	Delivery      int64
	Number        int
	State         DeliveryState // Pending: it is tried again at NextAttemptAt
	NextAttemptAt time.Time
	Status        int    // the receiver's HTTP status; 0: no answer
	Error         string // "" when delivered
	At            time.Time
}
