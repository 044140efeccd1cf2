package webhook

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 10 * time.Second},
		{2, 0, 20 * time.Second},
		{3, 0, 40 * time.Second},
		{9, 0, 2560 * time.Second},
		{10, 0, time.Hour}, // 5120 s, capped
		{1000, 0, time.Hour},
		{1, 0.5, 7500 * time.Millisecond},
		{1, 0.999999, 5*time.Second + 5*time.Microsecond},
		{10, 0.5, 45 * time.Minute},
	} {
		if got := Backoff(c.attempt, c.jitter); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.attempt, c.jitter, got, c.want)
		}
	}
}

// A delivery is retried with backoff, last at its RetryUntil, and fails
// when an attempt at or after RetryUntil fails; 2xx ends it delivered.
func TestOutcomes(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a := Attempt{Delivery: 7, Number: 3, RetryUntil: start.Add(MaxAge)}

	o := failure(a, 503, statusError(503), start, 0)
	if o.State != Pending || !o.NextAttemptAt.Equal(start.Add(40*time.Second)) || o.Status != 503 ||
		o.Error != "answered HTTP 503" || o.Delivery != 7 || o.Number != 3 {
		t.Fatalf("early failure = %+v", o)
	}
	late := a.RetryUntil.Add(-10 * time.Second) // sooner than the backoff of 40 s
	if o := failure(a, 0, "connection refused", late, 0); o.State != Pending || !o.NextAttemptAt.Equal(a.RetryUntil) {
		t.Fatalf("failure 10 s before the end = %+v, want a last try at the end", o)
	}
	if o := failure(a, 0, "connection refused", a.RetryUntil, 0); o.State != Failed || o.Error != "connection refused" {
		t.Fatalf("failure at the end = %+v, want failed", o)
	}
	if o := delivered(a, 204, late); o.State != Delivered || o.Status != 204 || o.Error != "" || !o.At.Equal(late) {
		t.Fatalf("delivered = %+v", o)
	}
}

// The body is the same bytes on every attempt: the event's id, type,
// time and data, in that order.
func TestBody(t *testing.T) {
	t.Parallel()
	e := Event{ID: 42, Type: ChargeSettled, Customer: "C1", Data: []byte(`{"number":"I00000042"}`),
		CreatedAt: time.Date(2026, 11, 30, 12, 0, 0, 0, time.FixedZone("x", 3600))}
	b, err := Body(e)
	want := `{"id":42,"type":"charge.settled","created_at":"2026-11-30T11:00:00Z","data":{"number":"I00000042"}}`
	if err != nil || string(b) != want {
		t.Fatalf("Body = %s, %v; want %s", b, err, want)
	}
}
