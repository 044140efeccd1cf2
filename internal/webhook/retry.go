package webhook

import (
	"fmt"
	"time"
)

// Retries back off exponentially from FirstRetry to LastRetry apart.
const (
	FirstRetry = 10 * time.Second
	LastRetry  = time.Hour
)

// Backoff is how long to wait after the attempt numbered attempt (from 1)
// failed: FirstRetry doubled for each attempt before, at most LastRetry,
// then jittered down by up to half (jitter in [0, 1)) so that receivers
// coming back are not met by every sender at once.
func Backoff(attempt int, jitter float64) time.Duration {
	d := FirstRetry
	for i := 1; i < attempt && d < LastRetry; i++ {
		d *= 2
	}
	d = min(d, LastRetry)
	return d - time.Duration(float64(d/2)*jitter)
}

// failure is the outcome of an attempt that got no 2xx answer at now: it
// is tried again after its backoff, or last at its RetryUntil, and fails
// once an attempt at or after RetryUntil has failed.
func failure(a Attempt, status int, why string, now time.Time, jitter float64) Outcome {
	o := Outcome{Delivery: a.Delivery, Number: a.Number, State: Pending, Status: status, Error: why, At: now}
	if !now.Before(a.RetryUntil) {
		o.State, o.NextAttemptAt = Failed, now
		return o
	}
	o.NextAttemptAt = now.Add(Backoff(a.Number, jitter))
	if o.NextAttemptAt.After(a.RetryUntil) {
		o.NextAttemptAt = a.RetryUntil
	}
	return o
}

// delivered is the outcome of an attempt answered 2xx.
func delivered(a Attempt, status int, now time.Time) Outcome {
	return Outcome{Delivery: a.Delivery, Number: a.Number, State: Delivered, Status: status, NextAttemptAt: now, At: now}
}

// statusError says why an answer did not end a delivery.
func statusError(status int) string { return fmt.Sprintf("answered HTTP %d", status) }
