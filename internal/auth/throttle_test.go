package auth

import (
	"fmt"
	"runtime"
	"strings"
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
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d; want 1 (dave; frank's one attempt was forgiven)", n)
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

// TestThrottleEvictsOldest fills the table with unlocked live entries; the
// next new key must push out the one with the oldest window start and
// nothing else, and the new key must be tracked.
func TestThrottleEvictsOldest(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Hour, 3)
	// Insert out of start order so that insertion order cannot stand in for age.
	mustAttempt(t, th, "middle", t0.Add(2*time.Minute))
	mustAttempt(t, th, "oldest", t0.Add(1*time.Minute))
	mustAttempt(t, th, "newest", t0.Add(3*time.Minute))
	now := t0.Add(4 * time.Minute)
	mustAttempt(t, th, "incoming", now)
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d; want 3", n)
	}
	// A kept key has one attempt left; an evicted one has two.
	for _, k := range []string{"middle", "newest", "incoming"} {
		mustAttempt(t, th, k, now)
		if ok, _ := th.Attempt(k, now); ok {
			t.Errorf("%s: third attempt allowed; want refused (entry should be kept)", k)
		}
	}
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d; want 3", n)
	}
}

// TestThrottleEvictionSkipsLocks: a full table evicts the oldest entry that
// is still under its limit, never a locked one, however old.
func TestThrottleEvictionSkipsLocks(t *testing.T) {
	t.Parallel()
	th := NewThrottle(2, time.Hour, 3)
	mustAttempt(t, th, "locked", t0)
	mustAttempt(t, th, "locked", t0)
	mustAttempt(t, th, "open-old", t0.Add(time.Minute))
	mustAttempt(t, th, "open-new", t0.Add(2*time.Minute))
	now := t0.Add(3 * time.Minute)
	mustAttempt(t, th, "incoming", now)
	if ok, retry := th.Attempt("locked", now); ok || retry != 57*time.Minute {
		t.Errorf("locked key = %v, %v; want still refused for 57m", ok, retry)
	}
	// open-new and incoming are kept with one attempt left; open-old went.
	for _, k := range []string{"open-new", "incoming"} {
		mustAttempt(t, th, k, now)
		if ok, _ := th.Attempt(k, now); ok {
			t.Errorf("%s: third attempt allowed; want refused (entry should be kept)", k)
		}
	}
}

// TestThrottleFullOfLocksFailsClosed: when every entry is locked, a new key
// is refused until the oldest lock ends, and no lock is lost meanwhile.
func TestThrottleFullOfLocksFailsClosed(t *testing.T) {
	t.Parallel()
	th := NewThrottle(1, time.Hour, 3)
	mustAttempt(t, th, "b", t0.Add(2*time.Minute))
	mustAttempt(t, th, "a", t0.Add(1*time.Minute)) // the oldest lock
	mustAttempt(t, th, "c", t0.Add(3*time.Minute))
	for i := range 100 {
		now := t0.Add(10 * time.Minute)
		if ok, retry := th.Attempt(fmt.Sprintf("new-%d", i), now); ok || retry != 51*time.Minute {
			t.Fatalf("new key %d in a table full of locks = %v, %v; want refused for 51m", i, ok, retry)
		}
	}
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d; want 3 (refused keys are not tracked)", n)
	}
	for _, k := range []string{"a", "b", "c"} {
		if ok, _ := th.Attempt(k, t0.Add(10*time.Minute)); ok {
			t.Errorf("%s: lock lost", k)
		}
	}
	// Once a's window ends, its slot is free again.
	now := t0.Add(61 * time.Minute)
	mustAttempt(t, th, "new-0", now)
	if ok, retry := th.Attempt("new-1", now); ok || retry != time.Minute {
		t.Errorf("next new key = %v, %v; want refused for 1m (b's lock ends)", ok, retry)
	}
	// A forgiven lock is evictable.
	th.Forgive("c")
	mustAttempt(t, th, "new-1", now)
	if ok, _ := th.Attempt("b", now); ok {
		t.Error("b: lock lost")
	}
}

// TestThrottleFloodKeepsLock sends capacity plus many distinct keys after
// locking one: the lock must hold throughout, and the table stay bounded.
func TestThrottleFloodKeepsLock(t *testing.T) {
	t.Parallel()
	const capacity, limit = 300, 5
	th := NewThrottle(limit, time.Hour, capacity)
	for range limit {
		mustAttempt(t, th, "demo", t0)
	}
	for i := range capacity + 1000 {
		now := t0.Add(time.Duration(i) * time.Millisecond)
		mustAttempt(t, th, fmt.Sprintf("flood-%d", i), now)
		if ok, _ := th.Attempt("demo", now); ok {
			t.Fatalf("after %d flood keys the locked key was allowed", i+1)
		}
	}
	if n := th.Len(); n != capacity {
		t.Errorf("Len = %d; want %d", n, capacity)
	}
}

// TestThrottleForgiveForgetsUnused: a key whose every attempt was forgiven
// is not kept, so abandoned or successful attempts do not fill the table.
func TestThrottleForgiveForgetsUnused(t *testing.T) {
	t.Parallel()
	th := NewThrottle(3, time.Minute, 10)
	mustAttempt(t, th, "jay", t0)
	mustAttempt(t, th, "jay", t0)
	th.Forgive("jay")
	if n := th.Len(); n != 1 {
		t.Errorf("Len with one attempt left counted = %d; want 1", n)
	}
	th.Forgive("jay")
	if n := th.Len(); n != 0 {
		t.Errorf("Len after every attempt was forgiven = %d; want 0", n)
	}
}

// TestAttemptAllAllOrNothing: an attempt refused for one key is counted
// against none, and plants no key in the other table.
func TestAttemptAllAllOrNothing(t *testing.T) {
	t.Parallel()
	users, addrs := NewThrottle(2, time.Minute, 10), NewThrottle(3, time.Minute, 10)
	both := func(user, addr string, now time.Time) (bool, time.Duration) {
		return AttemptAll(now, ThrottleKey{users, user}, ThrottleKey{addrs, addr})
	}
	for range 2 {
		if ok, _ := both("kim", "198.51.100.1", t0); !ok {
			t.Fatal("attempt under both limits refused")
		}
	}
	// kim is locked: attempts from new addresses leave no address key.
	for i := range 20 {
		if ok, retry := both("kim", fmt.Sprintf("203.0.113.%d", i), t0.Add(10*time.Second)); ok || retry != 50*time.Second {
			t.Fatalf("locked user from a new address = %v, %v; want refused for 50s", ok, retry)
		}
	}
	if n := addrs.Len(); n != 1 {
		t.Errorf("addresses tracked = %d; want 1 (refused attempts plant none)", n)
	}
	// Lock the address: its third attempt passes, for a new user.
	if ok, _ := both("lee", "198.51.100.1", t0.Add(20*time.Second)); !ok {
		t.Fatal("third attempt of the address refused")
	}
	for i := range 20 {
		if ok, retry := both(fmt.Sprintf("ghost-%d", i), "198.51.100.1", t0.Add(30*time.Second)); ok || retry != 30*time.Second {
			t.Fatalf("new user from a locked address = %v, %v; want refused for 30s", ok, retry)
		}
	}
	if n := users.Len(); n != 2 {
		t.Errorf("users tracked = %d; want 2 (kim, lee; refused attempts plant none)", n)
	}
	// lee's one attempt was counted, the refused ones were not: one left.
	if ok, _ := both("lee", "192.0.2.1", t0.Add(40*time.Second)); !ok {
		t.Error("lee's second attempt refused")
	}
	// Both locked: the answer is the longer wait, here the address's.
	addrs.Reset("198.51.100.1")
	mustAttempt(t, addrs, "198.51.100.1", t0.Add(50*time.Second))
	mustAttempt(t, addrs, "198.51.100.1", t0.Add(50*time.Second))
	mustAttempt(t, addrs, "198.51.100.1", t0.Add(50*time.Second))
	if ok, retry := both("kim", "198.51.100.1", t0.Add(55*time.Second)); ok || retry != 55*time.Second {
		t.Errorf("both locked = %v, %v; want refused for 55s (the address's wait)", ok, retry)
	}
}

func TestAttemptAllPanicsOnRepeatedThrottle(t *testing.T) {
	t.Parallel()
	th := NewThrottle(1, time.Minute, 10)
	defer func() {
		if recover() == nil {
			t.Error("AttemptAll with one throttle twice did not panic")
		}
	}()
	AttemptAll(t0, ThrottleKey{th, "a"}, ThrottleKey{th, "b"})
}

// TestThrottleMemoryBoundedInBytes fills a table with 40 KB keys: it must
// hold no more than ThrottleEntryBytes per key, whatever their length. It
// runs alone so that the heap it measures is its own.
func TestThrottleMemoryBoundedInBytes(t *testing.T) {
	const keys, keyBytes = 4000, 40 << 10
	th := NewThrottle(5, time.Hour, keys)
	filler := strings.Repeat("k", keyBytes)
	before := liveHeap()
	for i := range keys + 1000 {
		mustAttempt(t, th, fmt.Sprint(i)+filler, t0)
	}
	growth := liveHeap() - before
	t.Logf("%d keys of %d KB: %d bytes a key", keys, keyBytes>>10, growth/keys)
	if growth > keys*ThrottleEntryBytes {
		t.Errorf("table of %d keys takes %d bytes; want at most %d (%d a key)", keys, growth, keys*ThrottleEntryBytes, ThrottleEntryBytes)
	}
	runtime.KeepAlive(th)
}

// liveHeap is the live heap after a full collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
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

// BenchmarkThrottleEviction measures making room for a new key in a full
// table, with and without many locks beside the one open entry: the
// attempt happens under the lock every login shares, so its cost must not
// grow with the locks (compare the two sub-benchmarks' ns/op).
func BenchmarkThrottleEviction(b *testing.B) {
	for _, locked := range []int{0, 50_000} {
		b.Run(fmt.Sprint("locks=", locked), func(b *testing.B) {
			th := NewThrottle(2, time.Hour, locked+1)
			for i := range locked {
				key := fmt.Sprint("locked-", i)
				th.Attempt(key, t0)
				th.Attempt(key, t0)
			}
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = fmt.Sprint("new-", i)
			}
			b.ResetTimer()
			for i := range b.N {
				// Each new key pushes out the one before it, the only open entry.
				if ok, _ := th.Attempt(keys[i], t0.Add(time.Second)); !ok {
					b.Fatal("a new key was refused beside an open entry")
				}
			}
		})
	}
}

// TestThrottleLiftedLockKeepsItsWindow: a lock lifted by Forgive goes back
// among the open entries by its window start, so it is the first evicted
// when it is the oldest, and it keeps its count.
func TestThrottleLiftedLockKeepsItsWindow(t *testing.T) {
	t.Parallel()
	th := NewThrottle(3, time.Hour, 3)
	for range 3 {
		mustAttempt(t, th, "lifted", t0)
	}
	mustAttempt(t, th, "kept", t0.Add(time.Minute))
	mustAttempt(t, th, "newer", t0.Add(2*time.Minute))
	th.Forgive("lifted") // count 2 of 3, window still from t0
	now := t0.Add(3 * time.Minute)
	mustAttempt(t, th, "incoming", now) // evicts the oldest open entry: lifted
	// Evicted, it starts over with three attempts; kept, it would have one.
	for range 3 {
		mustAttempt(t, th, "lifted", now)
	}
	th2 := NewThrottle(3, time.Hour, 3)
	for range 3 {
		mustAttempt(t, th2, "lifted", t0)
	}
	th2.Forgive("lifted")
	mustAttempt(t, th2, "lifted", t0.Add(time.Minute)) // back at the limit
	if ok, retry := th2.Attempt("lifted", t0.Add(2*time.Minute)); ok || retry != 58*time.Minute {
		t.Errorf("relocked = %v, %v; want refused until its first window ends (58m)", ok, retry)
	}
}
