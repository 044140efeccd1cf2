package auth

import (
	"container/heap"
	"crypto/sha256"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Throttle counts login attempts per key (an account, an address) in fixed
// windows and refuses further attempts once a key reaches its limit, to slow
// down password guessing. An attempt is counted when it starts, in the same
// locked step as the check, so parallel attempts cannot slip past the
// limit; a successful or abandoned attempt is then forgiven. It lives in
// memory and is safe for concurrent use.
//
// Keys are stored as their SHA-256 digest, so an entry costs the same
// whatever the length of the key it stands for, and a table of maxKeys
// entries takes at most maxKeys × ThrottleEntryBytes bytes.
//
// A full table makes room by dropping entries whose window has ended, then
// the unlocked entry (one still under its limit) with the oldest window. It
// never drops a locked entry: if it did, anyone able to send new keys could
// flood the table and unlock an account they had been guessing at. When
// every entry is locked it fails closed instead, refusing attempts by new
// keys until the oldest lock ends. That turns a flood into a temporary
// lockout of keys not seen before, which is far less harmful than lifted
// locks, and it takes limit judged failures per entry (each behind the
// password hash and the other keys' throttles) to get there.
//
// Entries under their limit and locked ones are kept apart, each ordered
// by window start, so that making room never looks past the entries it
// drops: an attempt costs O(log keys) under the lock all logins share,
// however many keys are locked.
type Throttle struct {
	id      uint64 // orders locking in AttemptAll
	limit   int
	window  time.Duration
	maxKeys int

	mu      sync.Mutex
	entries map[throttleKey]*throttleEntry
	// open holds the entries under their limit, locked those at it; the
	// top of each is its entry with the oldest window start. An entry
	// moves between them when its count reaches the limit, when a Forgive
	// takes it back under, and when a new window starts.
	open, locked entryHeap
}

// ThrottleEntryBytes bounds the memory one tracked key takes: the entry,
// its map slot and the map's spare room (measured at about 170 bytes).
const ThrottleEntryBytes = 256

type throttleKey [sha256.Size]byte

type throttleEntry struct {
	key   throttleKey
	start time.Time // when the current window began
	count int       // attempts counted in the current window
	slot  int       // index in open or locked, whichever holds it
}

// entryHeap is a min-heap of entries by window start (container/heap),
// each entry knowing its slot so that it can be removed from the middle.
// A heap rather than a list: an entry whose lock a Forgive lifts goes back
// among the open ones with its old window start, and a list would need a
// walk to put it in its place.
type entryHeap []*throttleEntry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].start.Before(h[j].start) }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].slot, h[j].slot = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*throttleEntry)
	e.slot = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

var throttleIDs atomic.Uint64

// NewThrottle returns a Throttle that blocks a key after limit attempts
// within window, tracking at most maxKeys keys. It panics if any argument is
// not positive, since that is a wiring mistake best caught at start-up.
func NewThrottle(limit int, window time.Duration, maxKeys int) *Throttle {
	if limit < 1 || window <= 0 || maxKeys < 1 {
		panic("auth: NewThrottle needs positive limit, window and maxKeys")
	}
	return &Throttle{
		id:      throttleIDs.Add(1),
		limit:   limit,
		window:  window,
		maxKeys: maxKeys,
		entries: make(map[throttleKey]*throttleEntry),
	}
}

// ThrottleKey names a key in a throttle, for AttemptAll.
type ThrottleKey struct {
	Throttle *Throttle
	Key      string
}

// Attempt checks and counts an attempt by key at now. When the key has
// reached its limit, or is new and the table is full of locked keys, it
// refuses, without counting, and retryAfter is the time until that changes.
func (t *Throttle) Attempt(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	return AttemptAll(now, ThrottleKey{t, key})
}

// AttemptAll checks and counts one attempt against several keys, each in a
// different throttle (a login's account and its address): it is counted
// against all of them or, when any refuses, against none. So an attempt
// refused for one key leaves no trace under the others, and cannot make
// room for itself by pushing their entries out. retryAfter is the longest
// wait among the refusing keys.
func AttemptAll(now time.Time, keys ...ThrottleKey) (ok bool, retryAfter time.Duration) {
	refused, retryAfter := AttemptAllRefused(now, keys...)
	return len(refused) == 0, retryAfter
}

// AttemptAllRefused is AttemptAll that names the refusing keys by their
// index in keys (none when the attempt was admitted and counted), so a
// caller can tell which limit was reached.
func AttemptAllRefused(now time.Time, keys ...ThrottleKey) (refused []int, retryAfter time.Duration) {
	digests := make([]throttleKey, len(keys))
	for i, k := range keys {
		digests[i] = sha256.Sum256([]byte(k.Key))
	}
	// Lock in a fixed order so that two calls naming the same throttles
	// cannot deadlock.
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareIDs(keys[a].Throttle, keys[b].Throttle) })
	for i, o := range order {
		if i > 0 && keys[order[i-1]].Throttle == keys[o].Throttle {
			panic("auth: AttemptAll needs a different throttle for each key")
		}
		keys[o].Throttle.mu.Lock()
		defer keys[o].Throttle.mu.Unlock()
	}
	for i, k := range keys {
		if admitted, wait := k.Throttle.admits(digests[i], now); !admitted {
			refused, retryAfter = append(refused, i), max(retryAfter, wait)
		}
	}
	if len(refused) > 0 {
		return refused, retryAfter
	}
	for i, k := range keys {
		k.Throttle.count(digests[i], now)
	}
	return nil, 0
}

func compareIDs(a, b *Throttle) int {
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// ended reports whether e's window is over at now.
func (t *Throttle) ended(e *throttleEntry, now time.Time) bool {
	return !now.Before(e.start.Add(t.window))
}

// admits reports whether an attempt by key would be counted at now, and if
// not how long until it would; it changes nothing. The caller holds the lock.
func (t *Throttle) admits(key throttleKey, now time.Time) (bool, time.Duration) {
	if e, found := t.entries[key]; found {
		if !t.ended(e, now) && e.count >= t.limit {
			return false, e.start.Add(t.window).Sub(now)
		}
		return true, 0
	}
	if len(t.entries) < t.maxKeys || len(t.open) > 0 || t.ended(t.locked[0], now) {
		return true, 0
	}
	// Full of live locks: the oldest ends first.
	return false, t.locked[0].start.Add(t.window).Sub(now)
}

// count records an attempt that admits allowed; the caller holds the lock.
func (t *Throttle) count(key throttleKey, now time.Time) {
	e, found := t.entries[key]
	switch {
	case !found:
		if len(t.entries) >= t.maxKeys {
			t.makeRoom(now)
		}
		e = &throttleEntry{key: key, start: now}
		t.entries[key] = e
		heap.Push(&t.open, e)
	case t.ended(e, now):
		t.take(e)
		e.start, e.count = now, 0
		heap.Push(&t.open, e)
	}
	e.count++
	if e.count == t.limit {
		heap.Remove(&t.open, e.slot)
		heap.Push(&t.locked, e)
	}
}

// makeRoom frees at least one slot: first every ended entry, which costs
// nothing in protection, then, if none had ended, the open entry with the
// oldest window start. admits has made sure one of them exists. Ended
// entries are at the tops, so no live entry is looked at but the one
// evicted.
func (t *Throttle) makeRoom(now time.Time) {
	for _, h := range []*entryHeap{&t.locked, &t.open} {
		for len(*h) > 0 && t.ended((*h)[0], now) {
			t.remove((*h)[0])
		}
	}
	if len(t.entries) >= t.maxKeys {
		t.remove(t.open[0])
	}
}

// take removes e from whichever of open and locked holds it.
func (t *Throttle) take(e *throttleEntry) {
	if e.count >= t.limit {
		heap.Remove(&t.locked, e.slot)
	} else {
		heap.Remove(&t.open, e.slot)
	}
}

// remove forgets e; the caller holds the lock.
func (t *Throttle) remove(e *throttleEntry) {
	t.take(e)
	delete(t.entries, e.key)
}

// Forgive takes back one counted attempt of key: it succeeded, or it was
// abandoned before the password was judged. A key left with no attempts is
// forgotten, so such attempts do not fill the table.
func (t *Throttle) Forgive(key string) {
	k := throttleKey(sha256.Sum256([]byte(key)))
	t.mu.Lock()
	defer t.mu.Unlock()
	e, found := t.entries[k]
	if !found {
		return
	}
	switch {
	case e.count <= 1:
		t.remove(e)
	case e.count == t.limit:
		heap.Remove(&t.locked, e.slot)
		e.count--
		heap.Push(&t.open, e)
	default:
		e.count--
	}
}

// Reset forgets key, after a successful login.
func (t *Throttle) Reset(key string) {
	k := throttleKey(sha256.Sum256([]byte(key)))
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, found := t.entries[k]; found {
		t.remove(e)
	}
}

// Len returns the number of keys tracked.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
