package auth

import (
	"sync"
	"time"
)

// Throttle counts login attempts per key (an account, an address) in fixed
// windows and refuses further attempts once a key reaches its limit, to slow
// down password guessing. An attempt is counted when it starts, in the same
// locked step as the check, so parallel attempts cannot slip past the
// limit; a successful or abandoned attempt is then forgiven. It lives in
// memory and is safe for concurrent use.
//
// Its memory is bounded by maxKeys. When full it evicts rather than refuses:
// an attacker who fills the table with junk keys must not lock everyone out,
// so the throttle fails open for the oldest keys instead of failing closed.
type Throttle struct {
	limit   int
	window  time.Duration
	maxKeys int

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	start time.Time // when the current window began
	count int       // attempts counted in the current window
}

// NewThrottle returns a Throttle that blocks a key after limit attempts
// within window, tracking at most maxKeys keys. It panics if any argument is
// not positive, since that is a wiring mistake best caught at start-up.
func NewThrottle(limit int, window time.Duration, maxKeys int) *Throttle {
	if limit < 1 || window <= 0 || maxKeys < 1 {
		panic("auth: NewThrottle needs positive limit, window and maxKeys")
	}
	return &Throttle{
		limit:   limit,
		window:  window,
		maxKeys: maxKeys,
		entries: make(map[string]*throttleEntry),
	}
}

// ended reports whether e's window is over at now.
func (t *Throttle) ended(e *throttleEntry, now time.Time) bool {
	return !now.Before(e.start.Add(t.window))
}

// Attempt checks and counts an attempt by key at now. When the key has
// reached its limit it refuses, without counting, and retryAfter is the time
// left until its window ends.
func (t *Throttle) Attempt(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, found := t.entries[key]; found && !t.ended(e, now) && e.count >= t.limit {
		return false, e.start.Add(t.window).Sub(now)
	}
	t.count(key, now)
	return true, 0
}

// Forgive takes back one counted attempt of key: it succeeded, or it was
// abandoned before the password was judged.
func (t *Throttle) Forgive(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, found := t.entries[key]; found && e.count > 0 {
		e.count--
	}
}

// count records an attempt; the caller holds the lock.
func (t *Throttle) count(key string, now time.Time) {
	if e, found := t.entries[key]; found {
		if t.ended(e, now) {
			e.start, e.count = now, 1
		} else {
			e.count++
		}
		return
	}
	if len(t.entries) >= t.maxKeys {
		t.makeRoom(now)
	}
	t.entries[key] = &throttleEntry{start: now, count: 1}
}

// makeRoom frees at least one slot: first every expired entry, which costs
// nothing in protection, then, if none had expired, the entry with the oldest
// window start. It scans the whole map, which is fine because it runs only
// when the map is full.
func (t *Throttle) makeRoom(now time.Time) {
	for k, e := range t.entries {
		if t.ended(e, now) {
			delete(t.entries, k)
		}
	}
	for len(t.entries) >= t.maxKeys {
		var oldestKey string
		var oldest *throttleEntry
		for k, e := range t.entries {
			if oldest == nil || e.start.Before(oldest.start) {
				oldestKey, oldest = k, e
			}
		}
		delete(t.entries, oldestKey)
	}
}

// Reset forgets key, after a successful login.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

// Len returns the number of keys tracked.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
