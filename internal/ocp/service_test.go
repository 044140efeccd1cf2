package ocp_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/sqlite"
	"carebridge/internal/testserver"
	"carebridge/internal/tokencache"
)

// countingStore counts token lookups of the real store.
type countingStore struct {
	ocp.Store
	lookups atomic.Int64
}

func (s *countingStore) TokenApplication(ctx context.Context, hash []byte, now time.Time) (int64, time.Time, error) {
	s.lookups.Add(1)
	return s.Store.TokenApplication(ctx, hash, now)
}

// Live access tokens are cached for the cache's TTL, never past their expiry,
// and a factory reset clears them at once.
func TestTokenCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testserver.SQLite(t)
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clk := testserver.NewClock(start)
	store := &countingStore{Store: sqlite.NewOCPStore(db)}
	svc := &ocp.Service{Store: store, Now: clk.Now, TokenLifetime: time.Minute, Tokens: tokencache.New[int64](time.Second)}
	_, secret, err := svc.NewApplication(ctx, 88, "app", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	issue := func() string {
		t.Helper()
		tok, err := svc.IssueToken(ctx, "app-88", secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Value
	}
	authenticate := func(token string) error {
		t.Helper()
		app, err := svc.Authenticate(ctx, token)
		if err == nil && app != 88 {
			t.Fatalf("Authenticate = app %d, want 88", app)
		}
		return err
	}

	token := issue()
	for range 3 {
		if err := authenticate(token); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("3 requests read the token %d times; want 1", n)
	}

	// A cached token ends with its expiry, not with the cache's TTL.
	clk.Set(start.Add(time.Minute - time.Millisecond))
	if err := authenticate(token); err != nil {
		t.Fatalf("1ms before expiry: %v", err)
	}
	clk.Set(start.Add(time.Minute))
	if err := authenticate(token); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("at expiry: %v, want EUNAUTHORIZED", err)
	}

	// A factory reset ends every token at once: the plugin, told of it,
	// forgets the tokens it cached.
	token = issue()
	if err := authenticate(token); err != nil {
		t.Fatal(err)
	}
	if err := db.FactoryReset(ctx, "admin:test", clk.Now(), []string{ocp.Callsign}); err != nil {
		t.Fatal(err)
	}
	ocp.Plugin{Service: svc}.DataWiped()
	if err := authenticate(token); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("after a factory reset: %v, want EUNAUTHORIZED", err)
	}
}
