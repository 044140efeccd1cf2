package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// mustAttempt counts an attempt that must be allowed.
func mustAttempt(t *testing.T, th *Throttle, key string, now time.Time) {
	t.Helper()
	if ok, retry := th.Attempt(key, now); !ok || retry != 0 {
		t.Fatalf("Attempt(%q, %v) = %v, %v; want true, 0", key, now, ok, retry)
	}
}

func TestThrottleLocksAfterLimit(t *testing.T) {
	t.Parallel()
	th := NewThrottle(3, time.Minute, 100)
	for i := range 3 {
		now := t0.Add(time.Duration(i) * time.Second)
		if ok, retry := th.Attempt("alice", now); !ok || retry != 0 {
			t.Fatalf("attempt %d = %v, %v; want true, 0", i+1, ok, retry)
		}
	}
	ok, retry := th.Attempt("alice", t0.Add(10*time.Second))
	if ok {
		t.Fatal("4th attempt with limit 3 allowed; want refused")
	}
	// The window started at t0 with the first attempt and ends at t0+1m.
	if want := 50 * time.Second; retry != want {
		t.Errorf("retryAfter = %v; want %v", retry, want)
	}
	// Further attempts in a locked window stay refused, and do not move its end.
	if ok, retry := th.Attempt("alice", t0.Add(20*time.Second)); ok || retry != 40*time.Second {
		t.Errorf("attempt at +20s = %v, %v; want false, 40s", ok, retry)
	}
	if ok, retry := th.Attempt("alice", t0.Add(59*time.Second)); ok || retry != time.Second {
		t.Errorf("attempt just before window end = %v, %v; want false, 1s", ok, retry)
	}
}

func TestThrottleWindowEndUnlocks(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	mustAttempt(t, th, "bob", t0)
	mustAttempt(t, th, "bob", t0.Add(30*time.Second))
	if ok, retry := th.Attempt("bob", t0.Add(time.Minute-time.Nanosecond)); ok || retry != time.Nanosecond {
		t.Fatalf("attempt 1ns before window end = %v, %v; want false, 1ns", ok, retry)
	}
	// The window ends at exactly start+window; this attempt opens a new
	// window with count 1, not 3.
	mustAttempt(t, th, "bob", t0.Add(time.Minute))
	mustAttempt(t, th, "bob", t0.Add(time.Minute+time.Second))
	ok, retry := th.Attempt("bob", t0.Add(time.Minute+3*time.Second))
	if want := time.Minute - 3*time.Second; ok || retry != want {
		t.Errorf("attempt after limit in new window = %v, %v; want false, %v", ok, retry, want)
	}
}

// TestThrottleRefusedNotCounted: a refused attempt leaves the count at the
// limit, so one Forgive frees exactly one attempt, and the key is fresh once
// the window ends.
func TestThrottleRefusedNotCounted(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	mustAttempt(t, th, "gina", t0)
	mustAttempt(t, th, "gina", t0)
	for i := range 10 {
		if ok, _ := th.Attempt("gina", t0.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("refused attempt %d allowed", i+1)
		}
	}
	// Had the 10 refusals been counted, the count would be 12 and one
	// Forgive would not unlock the key.
	th.Forgive("gina")
	mustAttempt(t, th, "gina", t0.Add(20*time.Second))
	if ok, retry := th.Attempt("gina", t0.Add(20*time.Second)); ok || retry != 40*time.Second {
		t.Fatalf("attempt after the freed one = %v, %v; want false, 40s", ok, retry)
	}
	// After the window the key is fresh: limit attempts are allowed again.
	end := t0.Add(time.Minute)
	mustAttempt(t, th, "gina", end)
	mustAttempt(t, th, "gina", end)
	if ok, retry := th.Attempt("gina", end); ok || retry != time.Minute {
		t.Errorf("third attempt in the new window = %v, %v; want false, 1m", ok, retry)
	}
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d; want 1", n)
	}
}

func TestThrottleForgive(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	mustAttempt(t, th, "hank", t0)
	mustAttempt(t, th, "hank", t0)
	if ok, _ := th.Attempt("hank", t0); ok {
		t.Fatal("third attempt with limit 2 allowed")
	}
	th.Forgive("hank")
	mustAttempt(t, th, "hank", t0.Add(time.Second))
	// Forgive took back one attempt only, and did not move the window.
	if ok, retry := th.Attempt("hank", t0.Add(2*time.Second)); ok || retry != 58*time.Second {
		t.Errorf("fourth attempt = %v, %v; want false, 58s", ok, retry)
	}
}

func TestThrottleForgiveHarmless(t *testing.T) {
	t.Parallel()
	th := NewThrottle(1, time.Minute, 100)
	th.Forgive("nobody") // unknown key
	if n := th.Len(); n != 0 {
		t.Errorf("Len after Forgive of an unknown key = %d; want 0", n)
	}
	mustAttempt(t, th, "ivy", t0)
	th.Forgive("ivy")
	th.Forgive("ivy") // count already zero: must not go negative
	th.Forgive("ivy")
	mustAttempt(t, th, "ivy", t0)
	if ok, _ := th.Attempt("ivy", t0); ok {
		t.Error("second attempt with limit 1 allowed: Forgive drove the count below zero")
	}
	th.Forgive("nobody")
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d; want 1", n)
	}
}

func TestThrottleReset(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	mustAttempt(t, th, "carol", t0)
	mustAttempt(t, th, "carol", t0)
	if ok, _ := th.Attempt("carol", t0); ok {
		t.Fatal("attempt after limit allowed")
	}
	th.Reset("carol")
	if n := th.Len(); n != 0 {
		t.Errorf("Len after Reset = %d; want 0", n)
	}
	// The count starts over: limit attempts are allowed again.
	mustAttempt(t, th, "carol", t0)
	mustAttempt(t, th, "carol", t0)
	if ok, _ := th.Attempt("carol", t0); ok {
		t.Error("attempt over the limit after Reset allowed")
	}
	th.Reset("nobody") // forgetting an unknown key is harmless
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d; want 1", n)
	}
}

func TestThrottleKeysIndependent(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	mustAttempt(t, th, "dave", t0)
	mustAttempt(t, th, "dave", t0)
	mustAttempt(t, th, "erin", t0)
	if ok, _ := th.Attempt("dave", t0); ok {
		t.Error("dave: attempt over the limit allowed")
	}
	mustAttempt(t, th, "erin", t0)
	mustAttempt(t, th, "frank", t0)
	th.Reset("erin")
	th.Forgive("frank")
	if ok, _ := th.Attempt("dave", t0); ok {
		t.Error("Reset of erin or Forgive of frank unlocked dave")
	}
	if n := th.Len(); n != 2 {
		t.Errorf("Len = %d; want 2 (dave, frank)", n)
	}
}

func TestThrottleBounded(t *testing.T) {
	t.Parallel()
	const maxKeys = 50
	th := NewThrottle(3, time.Hour, maxKeys)
	for i := range 10 * maxKeys {
		// A full table evicts rather than refuses a new key.
		mustAttempt(t, th, fmt.Sprintf("key-%d", i), t0.Add(time.Duration(i)*time.Millisecond))
		if n := th.Len(); n > maxKeys {
			t.Fatalf("after %d keys Len = %d; want at most %d", i+1, n, maxKeys)
		}
	}
	if n := th.Len(); n != maxKeys {
		t.Errorf("Len = %d; want %d", n, maxKeys)
	}
}

// TestThrottlePrunesExpiredFirst fills the table with two expired entries
// and one live one; adding a key must drop both expired entries and keep the
// live one, rather than evict only the single oldest.
func TestThrottlePrunesExpiredFirst(t *testing.T) {
	t.Parallel()
	th := NewThrottle(1, time.Minute, 3)
	mustAttempt(t, th, "old1", t0)
	mustAttempt(t, th, "old2", t0.Add(time.Second))
	mustAttempt(t, th, "live", t0.Add(50*time.Second))
	now := t0.Add(90 * time.Second) // old1 and old2 have ended; live has not
	mustAttempt(t, th, "new", now)
	if n := th.Len(); n != 2 {
		t.Errorf("Len = %d; want 2 (both expired entries pruned)", n)
	}
	if ok, _ := th.Attempt("live", now); ok {
		t.Error("live entry was evicted although expired ones could be pruned")
	}
	if ok, _ := th.Attempt("new", now); ok {
		t.Error("new key was not recorded")
	}
}

// TestThrottleEvictsOldest fills the table with live entries; the next new
// key must push out the one with the oldest window start and nothing else,
// and the new key must be tracked (the throttle never fails closed).
func TestThrottleEvictsOldest(t *testing.T) {
	t.Parallel()
	th := NewThrottle(1, time.Hour, 3)
	// Insert out of start order so that insertion order cannot stand in for age.
	mustAttempt(t, th, "middle", t0.Add(2*time.Minute))
	mustAttempt(t, th, "oldest", t0.Add(1*time.Minute))
	mustAttempt(t, th, "newest", t0.Add(3*time.Minute))
	now := t0.Add(4 * time.Minute)
	mustAttempt(t, th, "incoming", now)
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d; want 3", n)
	}
	// Refused attempts change nothing, so check the kept keys first: an
	// allowed attempt on "oldest" re-adds it and evicts another.
	for _, k := range []string{"middle", "newest", "incoming"} {
		if ok, _ := th.Attempt(k, now); ok {
			t.Errorf("%s: attempt allowed; want refused (entry should be kept)", k)
		}
	}
	if ok, _ := th.Attempt("oldest", now); !ok {
		t.Error("oldest entry is still locked; want it evicted")
	}
}

func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	th := NewThrottle(5, time.Minute, 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := fmt.Sprintf("k%d", (g*200+i)%25)
				if ok, _ := th.Attempt(k, t0); ok && i%3 == 0 {
					th.Forgive(k)
				}
				if i%7 == 0 {
					th.Reset(k)
				}
				th.Len()
			}
		})
	}
	wg.Wait()
	if n := th.Len(); n > 10 {
		t.Errorf("Len = %d; want at most 10", n)
	}
}

// TestThrottleParallelAttemptsOneKey: checking and counting is one step, so
// parallel attempts cannot slip past the limit.
func TestThrottleParallelAttemptsOneKey(t *testing.T) {
	t.Parallel()
	const limit, n = 5, 50
	th := NewThrottle(limit, time.Minute, 10)
	start := make(chan struct{})
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		allowed, refused int
		badRetry         []time.Duration
	)
	for range n {
		wg.Go(func() {
			<-start
			ok, retry := th.Attempt("target", t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ok && retry == 0:
				allowed++
			case !ok && retry == time.Minute:
				refused++
			default:
				badRetry = append(badRetry, retry)
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed != limit || refused != n-limit || len(badRetry) != 0 {
		t.Errorf("allowed %d, refused %d, inconsistent %v; want %d allowed, %d refused with retryAfter 1m",
			allowed, refused, badRetry, limit, n-limit)
	}
}

func TestNewThrottlePanicsOnNonsense(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit   int
		window  time.Duration
		maxKeys int
	}{
		{0, time.Minute, 10},
		{1, 0, 10},
		{1, -time.Second, 10},
		{1, time.Minute, 0},
		{-1, time.Minute, 10},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewThrottle(%d, %v, %d) did not panic", tt.limit, tt.window, tt.maxKeys)
				}
			}()
			NewThrottle(tt.limit, tt.window, tt.maxKeys)
		}()
	}
}
