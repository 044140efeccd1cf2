package tokencache_test

import (
	"fmt"
	"testing"
	"time"

	"carebridge/internal/tokencache"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestTrustedForTheTTL(t *testing.T) {
	t.Parallel()
	c := tokencache.NewSized[int64](time.Second, 10)
	c.Put([]byte("a"), 88, t0, t0.Add(time.Hour))
	if v, ok := c.Get([]byte("a"), t0.Add(999*time.Millisecond)); !ok || v != 88 {
		t.Fatalf("within the TTL: %d, %v", v, ok)
	}
	if _, ok := c.Get([]byte("a"), t0.Add(time.Second)); ok {
		t.Fatal("trusted at the end of the TTL")
	}
	if _, ok := c.Get([]byte("b"), t0); ok {
		t.Fatal("an unknown key was found")
	}
}

func TestNeverBeyondTheTokensExpiry(t *testing.T) {
	t.Parallel()
	c := tokencache.NewSized[int64](time.Minute, 10)
	c.Put([]byte("a"), 1, t0, t0.Add(10*time.Millisecond))
	if _, ok := c.Get([]byte("a"), t0.Add(10*time.Millisecond)); ok {
		t.Fatal("trusted after the token expired")
	}
	c.Put([]byte("expired"), 1, t0, t0.Add(-time.Second))
	if c.Len() != 1 {
		t.Fatalf("an expired token was cached: %d entries", c.Len())
	}
}

func TestForgetAndClear(t *testing.T) {
	t.Parallel()
	c := tokencache.NewSized[string](time.Minute, 10)
	c.Put([]byte("a"), "alice", t0, t0.Add(time.Hour))
	c.Put([]byte("b"), "bob", t0, t0.Add(time.Hour))
	c.Forget([]byte("a"))
	if _, ok := c.Get([]byte("a"), t0); ok {
		t.Fatal("a forgotten token was found")
	}
	if v, ok := c.Get([]byte("b"), t0); !ok || v != "bob" {
		t.Fatal("Forget dropped another token")
	}
	c.Clear()
	if _, ok := c.Get([]byte("b"), t0); ok || c.Len() != 0 {
		t.Fatal("Clear left an entry")
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	c := tokencache.NewSized[int](time.Second, 3)
	c.Put([]byte("old"), 0, t0, t0.Add(time.Hour))
	c.Put([]byte("x"), 1, t0.Add(500*time.Millisecond), t0.Add(time.Hour))
	c.Put([]byte("y"), 2, t0.Add(500*time.Millisecond), t0.Add(time.Hour))
	// Full: the entry no longer trusted makes room, the others stay.
	now := t0.Add(1200 * time.Millisecond)
	c.Put([]byte("z"), 3, now, t0.Add(time.Hour))
	if c.Len() != 3 {
		t.Fatalf("%d entries, want 3", c.Len())
	}
	for _, k := range []string{"x", "y", "z"} {
		if _, ok := c.Get([]byte(k), now); !ok {
			t.Fatalf("%s was dropped", k)
		}
	}
	// Full of trusted entries: it starts over rather than grow.
	for i := range 10 {
		c.Put(fmt.Appendf(nil, "n%d", i), i, now, t0.Add(time.Hour))
		if c.Len() > 3 {
			t.Fatalf("%d entries, more than the bound", c.Len())
		}
	}
	// Replacing a key never evicts.
	c = tokencache.NewSized[int](time.Second, 1)
	c.Put([]byte("a"), 1, t0, t0.Add(time.Hour))
	c.Put([]byte("a"), 2, t0, t0.Add(time.Hour))
	if v, _ := c.Get([]byte("a"), t0); v != 2 {
		t.Fatalf("replaced value %d, want 2", v)
	}
}

func TestNilCachesNothing(t *testing.T) {
	t.Parallel()
	var c *tokencache.Cache[int]
	c.Put([]byte("a"), 1, t0, t0.Add(time.Hour))
	c.Forget([]byte("a"))
	c.Clear()
	if _, ok := c.Get([]byte("a"), t0); ok || c.Len() != 0 {
		t.Fatal("a nil cache found something")
	}
}
