package idempotency

import (
	"bytes"
	"context"
	"time"

	"carebridge"
)

// Defaults of Service.
const (
	// DefaultLease: a request is trusted to be alive this long; after it a
	// repeat takes the key over (the process that ran the first one died).
	// Every method of the faces answers well within it.
	DefaultLease = time.Minute
	// DefaultRetention: how long an answer is replayed.
	DefaultRetention = 24 * time.Hour
	// DefaultWait: how long a repeat waits for the first request to finish
	// before it answers EINPROGRESS.
	DefaultWait = 2 * time.Second
	// DefaultPoll: how often a waiting repeat looks again.
	DefaultPoll = 50 * time.Millisecond
)

// Service applies the rules of idempotent retries on an Engine.
type Service struct {
	Engine Engine
	// Now is the clock of the records (leases and expiry); nil: time.Now.
	// Waiting for a running request is measured on the real clock.
	Now       func() time.Time
	Lease     time.Duration
	Retention time.Duration
	Wait      time.Duration
	Poll      time.Duration
}

// Ticket is a key held by the request that runs: Finish or Abandon it.
type Ticket struct {
	UserID int64
	Key    string
	// lease identifies this hold: a request that took the key over holds
	// a later one, so a late Finish of the first cannot overwrite it.
	lease time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Begin decides what a request with a key does. With a Ticket (and no
// Answer) it runs, and its caller then Finishes or Abandons the ticket;
// with an Answer it replays that and does nothing; EREUSED when the key
// named another request; EINPROGRESS when the first request is still
// running after Wait.
func (s *Service) Begin(ctx context.Context, userID int64, key string, fingerprint []byte) (Ticket, *Answer, error) {
	if err := ValidateKey(key); err != nil {
		return Ticket{}, nil, err
	}
	var deadline <-chan time.Time
	for {
		t, a, running, err := s.try(ctx, userID, key, fingerprint)
		if err != nil || !running {
			return t, a, err
		}
		if deadline == nil {
			timer := time.NewTimer(orDefault(s.Wait, DefaultWait))
			defer timer.Stop()
			deadline = timer.C
		}
		// Wait, looking with reads, until the key is no longer held by a
		// live request; then decide again, in a write transaction.
		for held := true; held; {
			poll := time.NewTimer(orDefault(s.Poll, DefaultPoll))
			select {
			case <-ctx.Done():
				poll.Stop()
				return Ticket{}, nil, ctx.Err()
			case <-deadline:
				poll.Stop()
				return Ticket{}, nil, carebridge.Errorf(EINPROGRESS, "A request with this Idempotency-Key is still in progress; try again later.")
			case <-poll.C:
			}
			cur, err := s.Engine.Key(ctx, userID, key)
			switch {
			case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
				held = false
			case err != nil:
				return Ticket{}, nil, err
			default:
				now := s.now()
				held = cur.Answer == nil && cur.LeaseUntil.After(now) && cur.ExpiresAt.After(now)
			}
		}
	}
}

// try is one look at the key, in one transaction: running reports that
// another request holds it.
func (s *Service) try(ctx context.Context, userID int64, key string, fingerprint []byte) (t Ticket, a *Answer, running bool, err error) {
	for {
		now := s.now()
		fresh := Record{
			UserID: userID, Key: key, Fingerprint: fingerprint, CreatedAt: now,
			ExpiresAt:  now.Add(orDefault(s.Retention, DefaultRetention)),
			LeaseUntil: now.Add(orDefault(s.Lease, DefaultLease)),
		}
		var reused, gone bool
		err = s.Engine.InTx(ctx, func(tx Tx) error {
			t, a, running, reused, gone = Ticket{}, nil, false, false, false
			inserted, err := tx.InsertKey(ctx, fresh)
			if err != nil || inserted {
				t = Ticket{UserID: userID, Key: key, lease: fresh.LeaseUntil}
				return err
			}
			cur, err := tx.LockKey(ctx, userID, key)
			if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
				// Deleted (abandoned or purged) since the insert met it.
				gone = true
				return nil
			}
			if err != nil {
				return err
			}
			switch {
			case !cur.ExpiresAt.After(now):
				// Forgotten: the key is new again, whatever it named.
			case !bytes.Equal(cur.Fingerprint, fingerprint):
				reused = true
				return nil
			case cur.Answer != nil:
				a = cur.Answer
				return nil
			case cur.LeaseUntil.After(now):
				running = true
				return nil
			default:
				// The request holding it is presumed dead: take it over.
			}
			t = Ticket{UserID: userID, Key: key, lease: fresh.LeaseUntil}
			return tx.RestartKey(ctx, fresh)
		})
		switch {
		case err != nil:
			return Ticket{}, nil, false, err
		case gone:
			continue
		case reused:
			return Ticket{}, nil, false, carebridge.Errorf(EREUSED, "This Idempotency-Key was used with another request; use a new key for a new request.")
		}
		return t, a, running, nil
	}
}

// Finish stores the answer of the request holding t, to be replayed for
// Retention. It is stored even when the client has gone: its retry must
// find it. Storing nothing, because another request took the key over
// (this one outlived its lease), is not an error: that one's answer counts.
func (s *Service) Finish(ctx context.Context, t Ticket, a Answer) error {
	ctx = context.WithoutCancel(ctx)
	expires := s.now().Add(orDefault(s.Retention, DefaultRetention))
	return s.Engine.InTx(ctx, func(tx Tx) error {
		_, err := tx.StoreAnswer(ctx, t.UserID, t.Key, t.lease, a, expires)
		return err
	})
}

// Abandon lets the key go without an answer, so that a retry runs again:
// for answers that must not be replayed, which say nothing was done or
// that the server failed (a busy database, an internal error).
func (s *Service) Abandon(ctx context.Context, t Ticket) error {
	ctx = context.WithoutCancel(ctx)
	return s.Engine.InTx(ctx, func(tx Tx) error {
		_, err := tx.DeleteKey(ctx, t.UserID, t.Key, t.lease)
		return err
	})
}

// Purge deletes the expired records and says how many.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	return s.Engine.DeleteExpired(ctx, s.now())
}

// MaxAnswerBytes bounds an answer that is stored. Only the device methods
// answer more (up to 1000 ESNs that failed), and running them again does
// what the first run did; the bound keeps a client from filling the disk
// with stored answers faster than with its requests.
const MaxAnswerBytes = 64 << 10

// Stored reports whether a face stores an answer of this HTTP status and
// size: answers of 500 and up are not stored, since they say the server
// failed and a retry should run again, nor answers over MaxAnswerBytes.
func Stored(status, size int) bool { return status < 500 && size <= MaxAnswerBytes }
