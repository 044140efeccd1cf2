// Package readcache is a bounded read-through cache whose entries are
// dropped exactly when the data they were read from changes. Its owner
// (a store) invalidates the keys a write changed once that write has
// committed; a fill that read before such an invalidation and finishes
// after it is discarded, so it cannot put the old value back.
package readcache

import (
	"sync"
	"sync/atomic"
)

// Observer hears what the cache does; metrics implement it.
type Observer interface {
	Hit()
	Miss()
	Evicted() // an entry made room for another
}

// Cache maps keys to values of a known size, at most MaxEntries of them
// and MaxBytes in all, evicting with CLOCK (second chance): a hit only
// sets a bit, under a shared lock, so readers do not serialize.
type Cache[K comparable, V any] struct {
	maxEntries int
	maxBytes   int64
	observer   atomic.Pointer[Observer]

	mu      sync.RWMutex
	entries map[K]*entry[K, V]
	ring    []*entry[K, V] // the clock's face; hand points into it
	hand    int
	bytes   int64
	// epoch counts Clears; fills holds the generation of each key with a
	// fill in flight, bumped by Invalidate. A fill stores its value only
	// if both are as they were when it began.
	epoch uint64
	fills map[K]*pending
}

type entry[K comparable, V any] struct {
	key   K
	value V
	size  int64
	slot  int
	used  atomic.Bool
}

type pending struct {
	n   int    // fills of the key in flight
	gen uint64 // invalidations of the key while n > 0
}

// New returns an empty cache of at most maxEntries values and maxBytes
// bytes (as the sizes given to Load add up).
func New[K comparable, V any](maxEntries int, maxBytes int64) *Cache[K, V] {
	return &Cache[K, V]{
		maxEntries: max(maxEntries, 1),
		maxBytes:   max(maxBytes, 1),
		entries:    make(map[K]*entry[K, V]),
		fills:      make(map[K]*pending),
	}
}

// Observe makes o hear of every hit, miss and eviction from now on.
func (c *Cache[K, V]) Observe(o Observer) { c.observer.Store(&o) }

func (c *Cache[K, V]) observe(f func(Observer)) {
	if o := c.observer.Load(); o != nil {
		f(*o)
	}
}

// Load returns the value of k: the cached one, or else what load returns,
// which is cached with the size load gives unless load fails, or k was
// invalidated (or the cache cleared) while load ran. load must read data
// committed no earlier than the call to Load.
func (c *Cache[K, V]) Load(k K, load func() (V, int64, error)) (V, error) {
	c.mu.RLock()
	e, ok := c.entries[k]
	if ok {
		e.used.Store(true)
		v := e.value
		c.mu.RUnlock()
		c.observe(Observer.Hit)
		return v, nil
	}
	c.mu.RUnlock()
	c.observe(Observer.Miss)

	epoch, gen := c.begin(k)
	v, size, err := load()
	c.finish(k, epoch, gen, v, size, err == nil)
	return v, err
}

// begin records a fill of k in flight and returns what finish compares.
func (c *Cache[K, V]) begin(k K) (epoch, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.fills[k]
	if p == nil {
		p = &pending{}
		c.fills[k] = p
	}
	p.n++
	return c.epoch, p.gen
}

// finish ends a fill of k, storing v when keep holds and nothing
// invalidated k since begin.
func (c *Cache[K, V]) finish(k K, epoch, gen uint64, v V, size int64, keep bool) {
	evicted := 0
	c.mu.Lock()
	p := c.fills[k]
	if p.n--; p.n == 0 {
		delete(c.fills, k)
	}
	if keep && epoch == c.epoch && gen == p.gen && size <= c.maxBytes {
		if old, ok := c.entries[k]; ok {
			c.remove(old)
		}
		for len(c.ring) >= c.maxEntries || c.bytes+size > c.maxBytes {
			c.evict()
			evicted++
		}
		e := &entry[K, V]{key: k, value: v, size: size, slot: len(c.ring)}
		c.entries[k] = e
		c.ring = append(c.ring, e)
		c.bytes += size
	}
	c.mu.Unlock()
	for range evicted {
		c.observe(Observer.Evicted)
	}
}

// evict removes the first entry under the hand not used since the hand
// last passed it.
func (c *Cache[K, V]) evict() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if e.used.Swap(false) {
			c.hand++
			continue
		}
		c.remove(e)
		return
	}
}

// remove drops e, moving the ring's last entry into its slot.
func (c *Cache[K, V]) remove(e *entry[K, V]) {
	last := c.ring[len(c.ring)-1]
	c.ring[e.slot], last.slot = last, e.slot
	c.ring[len(c.ring)-1] = nil
	c.ring = c.ring[:len(c.ring)-1]
	delete(c.entries, e.key)
	c.bytes -= e.size
}

// Invalidate drops the keys' values, and makes the fills of them in
// flight keep theirs to themselves. Call it once the write that changed
// them has committed.
func (c *Cache[K, V]) Invalidate(keys ...K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.entries[k]; ok {
			c.remove(e)
		}
		if p, ok := c.fills[k]; ok {
			p.gen++
		}
	}
}

// Clear drops every value, and makes every fill in flight keep its own.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
	clear(c.ring)
	c.ring, c.hand, c.bytes = c.ring[:0], 0, 0
}

// Len is the number of values cached and Bytes their total size.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// Bytes is the total size of the values cached.
func (c *Cache[K, V]) Bytes() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}
