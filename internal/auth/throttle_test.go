package auth

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestThrottleLocksAfterLimit(t *testing.T) {
	t.Parallel()
	th := NewThrottle(3, time.Minute, 100)
	for i := range 3 {
		now := t0.Add(time.Duration(i) * time.Second)
		if ok, _ := th.Allow("alice", now); !ok {
			t.Fatalf("Allow after %d failures = false; want true", i)
		}
		th.Fail("alice", now)
	}
	ok, retry := th.Allow("alice", t0.Add(10*time.Second))
	if ok {
		t.Fatal("Allow after 3 failures = true; want false")
	}
	// The window started at t0 with the first failure and ends at t0+1m.
	if want := 50 * time.Second; retry != want {
		t.Errorf("retryAfter = %v; want %v", retry, want)
	}
	// Further failures in a locked window keep it locked, but do not move its end.
	th.Fail("alice", t0.Add(20*time.Second))
	if ok, retry := th.Allow("alice", t0.Add(59*time.Second)); ok || retry != time.Second {
		t.Errorf("Allow just before window end = %v, %v; want false, 1s", ok, retry)
	}
}

func TestThrottleWindowEndUnlocks(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	th.Fail("bob", t0)
	th.Fail("bob", t0.Add(30*time.Second))
	if ok, _ := th.Allow("bob", t0.Add(time.Minute-time.Nanosecond)); ok {
		t.Fatal("Allow before window end = true; want false")
	}
	if ok, retry := th.Allow("bob", t0.Add(time.Minute)); !ok || retry != 0 {
		t.Fatalf("Allow at window end = %v, %v; want true, 0", ok, retry)
	}
	// A failure after the window starts a new one with count 1, not 3.
	th.Fail("bob", t0.Add(time.Minute))
	if ok, _ := th.Allow("bob", t0.Add(time.Minute+time.Second)); !ok {
		t.Error("one failure in a new window locked the key")
	}
	th.Fail("bob", t0.Add(time.Minute+2*time.Second))
	ok, retry := th.Allow("bob", t0.Add(time.Minute+3*time.Second))
	if ok || retry != time.Minute-3*time.Second {
		t.Errorf("Allow after limit in new window = %v, %v; want false, %v", ok, retry, time.Minute-3*time.Second)
	}
}

func TestThrottleReset(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	th.Fail("carol", t0)
	th.Fail("carol", t0)
	if ok, _ := th.Allow("carol", t0); ok {
		t.Fatal("Allow after limit = true; want false")
	}
	th.Reset("carol")
	if ok, _ := th.Allow("carol", t0); !ok {
		t.Error("Allow after Reset = false; want true")
	}
	if n := th.Len(); n != 0 {
		t.Errorf("Len after Reset = %d; want 0", n)
	}
	// The count starts over: one failure does not lock again.
	th.Fail("carol", t0)
	if ok, _ := th.Allow("carol", t0); !ok {
		t.Error("one failure after Reset locked the key")
	}
	th.Reset("nobody") // forgetting an unknown key is harmless
}

func TestThrottleKeysIndependent(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Minute, 100)
	th.Fail("dave", t0)
	th.Fail("dave", t0)
	th.Fail("erin", t0)
	if ok, _ := th.Allow("dave", t0); ok {
		t.Error("dave: Allow = true; want false")
	}
	if ok, _ := th.Allow("erin", t0); !ok {
		t.Error("erin: Allow = false; want true")
	}
	if ok, _ := th.Allow("frank", t0); !ok {
		t.Error("frank: Allow = false; want true")
	}
	th.Reset("erin")
	if ok, _ := th.Allow("dave", t0); ok {
		t.Error("Reset of erin unlocked dave")
	}
}

func TestThrottleBounded(t *testing.T) {
	t.Parallel()
	const maxKeys = 50
	th := NewThrottle(3, time.Hour, maxKeys)
	for i := range 10 * maxKeys {
		th.Fail(fmt.Sprintf("key-%d", i), t0.Add(time.Duration(i)*time.Millisecond))
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
	th.Fail("old1", t0)
	th.Fail("old2", t0.Add(time.Second))
	th.Fail("live", t0.Add(50*time.Second))
	now := t0.Add(90 * time.Second) // old1 and old2 have ended; live has not
	th.Fail("new", now)
	if n := th.Len(); n != 2 {
		t.Errorf("Len = %d; want 2 (both expired entries pruned)", n)
	}
	if ok, _ := th.Allow("live", now); ok {
		t.Error("live entry was evicted although expired ones could be pruned")
	}
	if ok, _ := th.Allow("new", now); ok {
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
	th.Fail("middle", t0.Add(2*time.Minute))
	th.Fail("oldest", t0.Add(1*time.Minute))
	th.Fail("newest", t0.Add(3*time.Minute))
	now := t0.Add(4 * time.Minute)
	th.Fail("incoming", now)
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d; want 3", n)
	}
	if ok, _ := th.Allow("oldest", now); !ok {
		t.Error("oldest entry is still locked; want it evicted")
	}
	for _, k := range []string{"middle", "newest", "incoming"} {
		if ok, _ := th.Allow(k, now); ok {
			t.Errorf("%s: Allow = true; want false (entry should be kept)", k)
		}
	}
}

func TestThrottleConcurrent(t *testing.T) {
	t.Parallel()
	th := NewThrottle(5, time.Minute, 10)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				k := fmt.Sprintf("k%d", (g*200+i)%25)
				th.Fail(k, t0)
				th.Allow(k, t0)
				if i%7 == 0 {
					th.Reset(k)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if n := th.Len(); n > 10 {
		t.Errorf("Len = %d; want at most 10", n)
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
		{1, time.Minute, 0},
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
