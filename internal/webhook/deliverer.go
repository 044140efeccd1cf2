package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"carebridge/internal/signature"
)

// Headers of a delivery.
const (
	SignatureHeader = "X-Carebridge-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
	DeliveryHeader  = "X-Carebridge-Delivery"  // the event's id: the same on every attempt
)

// Timeout bounds one attempt, from connecting to the end of the answer's
// headers.
const Timeout = 10 * time.Second

// Deliverer delivers the outbox's events: at least once, each attempt
// claimed by one process, in order per endpoint and customer. It runs
// beside the requests, never on their path: a slow or dead receiver holds
// one of its workers, nothing else.
type Deliverer struct {
	Store    Store
	Client   *http.Client     // nil: NewClient()
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger     // nil: discarded
	Interval time.Duration    // how often to look for due deliveries when idle (0: 1 s)
	Workers  int              // attempts in flight at most (0: 8)
	// Lease is how long a claim holds: another process may claim the
	// delivery again once it has passed (0: 1 min). It outlasts Timeout,
	// so that a live attempt is never claimed twice.
	Lease  time.Duration
	Jitter func() float64 // in [0, 1); nil: random
	// Observer is told of each attempt's outcome; nil: nobody.
	Observer Observer

	kick chan struct{}
	once sync.Once
}

// Observer counts attempts by outcome: "delivered", "retried" or
// "failed".
type Observer interface {
	WebhookAttempt(outcome string)
}

// outcomes name an attempt's outcome by the state it left its delivery in.
var outcomes = map[DeliveryState]string{Delivered: "delivered", Pending: "retried", Failed: "failed"}

// NewClient is the HTTP client of deliveries: Timeout per attempt, and
// redirects are not followed (a 3xx is an answer like any other non-2xx).
func NewClient() *http.Client {
	return &http.Client{
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.kick = make(chan struct{}, 1)
		if d.Client == nil {
			d.Client = NewClient()
		}
		if d.Now == nil {
			d.Now = time.Now
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		if d.Interval <= 0 {
			d.Interval = time.Second
		}
		if d.Workers <= 0 {
			d.Workers = 8
		}
		if d.Lease <= 0 {
			d.Lease = time.Minute
		}
		if d.Jitter == nil {
			d.Jitter = rand.Float64
		}
	})
}

// Kick tells the Deliverer that events were committed, so that it looks
// now instead of at its next interval. It never blocks.
func (d *Deliverer) Kick() {
	d.init()
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	free := make(chan struct{}, d.Workers)
	for range d.Workers {
		free <- struct{}{}
	}
	done := make(chan struct{}, d.Workers)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// Claim as many attempts as there are free workers.
		n := len(free)
		var attempts []Attempt
		if n > 0 {
			now := d.Now()
			var err error
			attempts, err = d.Store.ClaimDeliveries(ctx, now, now.Add(d.Lease), n)
			if err != nil && ctx.Err() == nil {
				d.Log.Warn("webhooks: claim deliveries", "err", err)
			}
		}
		for _, a := range attempts {
			<-free
			inFlight.Go(func() {
				defer func() {
					free <- struct{}{}
					select { // wake the loop, which may be waiting for a worker
					case done <- struct{}{}:
					default:
					}
				}()
				d.attempt(ctx, a)
			})
		}
		if n > 0 && len(attempts) == n {
			continue // there may be more due
		}
		timer.Reset(d.Interval)
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-done:
		case <-timer.C:
		}
	}
}

// attempt makes one attempt and records its outcome. An attempt cut short
// by the server stopping is due again at once.
func (d *Deliverer) attempt(ctx context.Context, a Attempt) {
	status, err := d.post(ctx, a)
	now := d.Now()
	var o Outcome
	switch {
	case err == nil && status >= 200 && status < 300:
		o = delivered(a, status, now)
	case ctx.Err() != nil:
		o = Outcome{Delivery: a.Delivery, Number: a.Number, State: Pending, NextAttemptAt: now, Error: "the server stopped during the attempt", At: now}
	case err != nil:
		o = failure(a, 0, err.Error(), now, d.Jitter())
	default:
		o = failure(a, status, statusError(status), now, d.Jitter())
	}
	recorded, rerr := d.Store.RecordAttempt(context.WithoutCancel(ctx), o)
	switch {
	case rerr != nil:
		d.Log.Warn("webhooks: record attempt", "delivery", a.Delivery, "err", rerr)
	case !recorded:
		d.Log.Info("webhooks: attempt outlived its claim", "delivery", a.Delivery, "attempt", a.Number)
	case o.State == Failed:
		d.Log.Warn("webhooks: delivery failed", "delivery", a.Delivery, "event", a.Event.ID, "endpoint", a.EndpointID, "err", o.Error)
	}
	if d.Observer != nil && ctx.Err() == nil {
		d.Observer.WebhookAttempt(outcomes[o.State])
	}
}

// post sends the event, signed at the time of the attempt, and reads a
// little of the answer so that the connection can be reused.
func (d *Deliverer) post(ctx context.Context, a Attempt) (int, error) {
	body, err := Body(a.Event)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "carebridge-webhooks")
	req.Header.Set(DeliveryHeader, strconv.FormatInt(a.Event.ID, 10))
	// Signed at the wall clock's time, which the receiver checks against
	// its own, whatever clock the server keeps for its records.
	req.Header.Set(SignatureHeader, signature.Sign(a.Secret, time.Now(), body))
	res, err := d.Client.Do(req)
	if err != nil {
		return 0, attemptError(err)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return res.StatusCode, nil
}

// attemptError says why an attempt got no answer, without the URL the
// client's error repeats (the operator knows it).
func attemptError(err error) error {
	var uerr interface{ Unwrap() error }
	if errors.As(err, &uerr) && uerr.Unwrap() != nil {
		err = uerr.Unwrap()
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return errors.New(msg)
}

// bodyJSON is a delivery's body.
type bodyJSON struct {
	ID        int64           `json:"id"`
	Type      EventType       `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Body is the JSON an event is delivered as: the same bytes on every
// attempt.
func Body(e Event) ([]byte, error) {
	return json.Marshal(bodyJSON{ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339), Data: e.Data})
}
