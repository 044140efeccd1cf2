package idempotency_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/idempotency"
	"carebridge/internal/postgres"
	"carebridge/internal/sqlite"
	"carebridge/internal/storage"
	"carebridge/internal/testdb"
)

var start = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)

// clock is a settable clock for the records' times.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// fixture is a Service on a real, fresh database with two users.
type fixture struct {
	svc        *idempotency.Service
	clock      *clock
	alice, bob int64
}

// engines open a migrated database of each engine and return its
// tenancy store and idempotency engine.
var engines = []struct {
	name string
	open func(t *testing.T) (*storage.Tenancy, idempotency.Engine)
}{
	{"sqlite", func(t *testing.T) (*storage.Tenancy, idempotency.Engine) {
		db, err := sqlite.Open(context.Background(), testdb.SQLitePath(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return sqlite.NewTenancyStore(db).Tenancy, sqlite.NewIdempotencyStore(db)
	}},
	{"postgres", func(t *testing.T) (*storage.Tenancy, idempotency.Engine) {
		db, err := postgres.Open(context.Background(), testdb.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return postgres.NewTenancyStore(db).Tenancy, postgres.NewIdempotencyStore(db)
	}},
}

// onEngines runs f on a fixture of each engine, side by side.
func onEngines(t *testing.T, f func(t *testing.T, fx *fixture)) {
	t.Helper()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			tenancy, engine := eng.open(t)
			ctx := context.Background()
			org, err := tenancy.CreateOrganisation(ctx, "acme", start)
			if err != nil {
				t.Fatal(err)
			}
			op, err := tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "op", CreatedAt: start})
			if err != nil {
				t.Fatal(err)
			}
			user := func(name string) int64 {
				u, err := tenancy.CreateUser(ctx, carebridge.User{OrganisationID: org.ID, OperatorID: op.ID, Username: name, PasswordHash: "x", CreatedAt: start})
				if err != nil {
					t.Fatal(err)
				}
				return u.ID
			}
			clk := &clock{now: start}
			// Wait is long: a test that expects EINPROGRESS shortens it.
			svc := &idempotency.Service{Engine: engine, Now: clk.Now, Wait: time.Minute, Poll: 5 * time.Millisecond}
			f(t, &fixture{svc: svc, clock: clk, alice: user("alice"), bob: user("bob")})
		})
	}
}

var (
	fpCreate = idempotency.Fingerprint("netflix/subscriptions/create", []byte(`{"a":1}`))
	fpOther  = idempotency.Fingerprint("netflix/subscriptions/create", []byte(`{"a":2}`))
	created  = idempotency.Answer{Status: 200, Body: []byte(`{"data":{"netflix_token":"T1"}}`)}
)

// run begins a request that must run.
func (fx *fixture) run(t *testing.T, user int64, key string, fp []byte) idempotency.Ticket {
	t.Helper()
	tk, a, err := fx.svc.Begin(context.Background(), user, key, fp)
	if err != nil || a != nil {
		t.Fatalf("Begin = %v, %v; want to run", a, err)
	}
	return tk
}

// replays begins a request that must be answered want.
func (fx *fixture) replays(t *testing.T, user int64, key string, fp []byte, want idempotency.Answer) {
	t.Helper()
	_, a, err := fx.svc.Begin(context.Background(), user, key, fp)
	if err != nil || a == nil || a.Status != want.Status || !bytes.Equal(a.Body, want.Body) {
		t.Fatalf("Begin = %+v, %v; want the answer %d %s", a, err, want.Status, want.Body)
	}
}

func (fx *fixture) finish(t *testing.T, tk idempotency.Ticket, a idempotency.Answer) {
	t.Helper()
	if err := fx.svc.Finish(context.Background(), tk, a); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := carebridge.ErrorCode(err); got != code {
		t.Fatalf("error = %v (%q), want %q", err, got, code)
	}
}

func TestReplayAndReuse(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		tk := fx.run(t, fx.alice, "k", fpCreate)
		fx.finish(t, tk, created)
		fx.replays(t, fx.alice, "k", fpCreate, created)
		fx.replays(t, fx.alice, "k", fpCreate, created)

		_, _, err := fx.svc.Begin(context.Background(), fx.alice, "k", fpOther)
		wantCode(t, err, idempotency.EREUSED)
		_, _, err = fx.svc.Begin(context.Background(), fx.alice, "k", idempotency.Fingerprint("netflix/subscriptions/cancel", []byte(`{"a":1}`)))
		wantCode(t, err, idempotency.EREUSED)

		// Keys are per user.
		fx.finish(t, fx.run(t, fx.bob, "k", fpOther), idempotency.Answer{Status: 409, Body: []byte("{}")})
		fx.replays(t, fx.bob, "k", fpOther, idempotency.Answer{Status: 409, Body: []byte("{}")})
		fx.replays(t, fx.alice, "k", fpCreate, created)
	})
}

func TestWaitsForTheFirst(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		tk := fx.run(t, fx.alice, "k", fpCreate)
		type result struct {
			a   *idempotency.Answer
			err error
		}
		done := make(chan result, 1)
		go func() {
			_, a, err := fx.svc.Begin(context.Background(), fx.alice, "k", fpCreate)
			done <- result{a, err}
		}()
		fx.finish(t, tk, created)
		r := <-done
		if r.err != nil || r.a == nil || !bytes.Equal(r.a.Body, created.Body) {
			t.Fatalf("the waiting repeat = %+v, %v", r.a, r.err)
		}
	})
}

func TestInProgress(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		fx.run(t, fx.alice, "k", fpCreate)
		fx.svc.Wait = 20 * time.Millisecond
		_, _, err := fx.svc.Begin(context.Background(), fx.alice, "k", fpCreate)
		wantCode(t, err, idempotency.EINPROGRESS)
		// Another body is a reuse at once, running or not.
		_, _, err = fx.svc.Begin(context.Background(), fx.alice, "k", fpOther)
		wantCode(t, err, idempotency.EREUSED)

		// A client that gives up while waiting is let go.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		fx.svc.Wait = time.Minute
		if _, _, err := fx.svc.Begin(ctx, fx.alice, "k", fpCreate); err == nil {
			t.Fatal("Begin with a cancelled context succeeded")
		}
	})
}

func TestLeaseExpiredIsTakenOver(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		dead := fx.run(t, fx.alice, "k", fpCreate)
		fx.clock.Advance(idempotency.DefaultLease - time.Second)
		fx.svc.Wait = 20 * time.Millisecond
		_, _, err := fx.svc.Begin(context.Background(), fx.alice, "k", fpCreate)
		wantCode(t, err, idempotency.EINPROGRESS)

		fx.clock.Advance(time.Second)
		tk := fx.run(t, fx.alice, "k", fpCreate)
		// The first request, late, neither stores its answer nor lets
		// the key go: it is no longer its.
		fx.finish(t, dead, idempotency.Answer{Status: 200, Body: []byte("late")})
		if err := fx.svc.Abandon(context.Background(), dead); err != nil {
			t.Fatal(err)
		}
		fx.finish(t, tk, created)
		fx.replays(t, fx.alice, "k", fpCreate, created)
	})
}

func TestExpiredKeyIsNew(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		fx.finish(t, fx.run(t, fx.alice, "k", fpCreate), created)
		fx.clock.Advance(idempotency.DefaultRetention - time.Second)
		fx.replays(t, fx.alice, "k", fpCreate, created)
		if n, err := fx.svc.Purge(context.Background()); err != nil || n != 0 {
			t.Fatalf("Purge before expiry = %d, %v", n, err)
		}
		fx.clock.Advance(time.Second)
		fx.finish(t, fx.run(t, fx.alice, "k", fpOther), idempotency.Answer{Status: 200, Body: []byte("second")})
		fx.replays(t, fx.alice, "k", fpOther, idempotency.Answer{Status: 200, Body: []byte("second")})

		fx.clock.Advance(idempotency.DefaultRetention)
		if n, err := fx.svc.Purge(context.Background()); err != nil || n != 1 {
			t.Fatalf("Purge after expiry = %d, %v", n, err)
		}
		fx.run(t, fx.alice, "k", fpCreate)
	})
}

func TestAbandonRunsAgain(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, fx *fixture) {
		tk := fx.run(t, fx.alice, "k", fpCreate)
		if err := fx.svc.Abandon(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
		// Not even the fingerprint is kept: the key is free.
		fx.finish(t, fx.run(t, fx.alice, "k", fpOther), created)
		fx.replays(t, fx.alice, "k", fpOther, created)
	})
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"a", "~", " ", strings.Repeat("x", 255), "550e8400-e29b-41d4-a716-446655440000"} {
		if err := idempotency.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", strings.Repeat("x", 256), "a\tb", "a\x7f", "é", "a\nb"} {
		err := idempotency.ValidateKey(k)
		wantCode(t, err, carebridge.EINVALID)
		if !strings.Contains(carebridge.ErrorMessage(err), "Idempotency-Key") {
			t.Errorf("ValidateKey(%q): message %q does not name the header", k, carebridge.ErrorMessage(err))
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	a := idempotency.Fingerprint("ab", []byte("c"))
	if len(a) != 32 || !bytes.Equal(a, idempotency.Fingerprint("ab", []byte("c"))) {
		t.Fatal("a fingerprint is a SHA-256, the same for the same request")
	}
	for _, other := range [][]byte{
		idempotency.Fingerprint("a", []byte("bc")),
		idempotency.Fingerprint("ab", []byte("c ")),
		idempotency.Fingerprint("abc", nil),
	} {
		if bytes.Equal(a, other) {
			t.Fatal("two requests share a fingerprint")
		}
	}
}

func TestStored(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{200: true, 400: true, 404: true, 409: true, 499: true, 500: false, 503: false} {
		if idempotency.Stored(status, 100) != want {
			t.Errorf("Stored(%d) = %v", status, !want)
		}
	}
	if !idempotency.Stored(200, idempotency.MaxAnswerBytes) || idempotency.Stored(200, idempotency.MaxAnswerBytes+1) {
		t.Error("the size bound is not MaxAnswerBytes")
	}
}
