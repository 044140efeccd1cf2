// Package tokencache remembers for a short while what a bearer token
// stands for, so that a busy client's every request does not read its
// session from the database.
//
// Invalidation: the owner forgets a token it ends itself (a logout) and
// clears the cache when it wipes the data behind it (a factory reset); an
// entry never outlives the token's own expiry; and an entry is trusted for
// at most the cache's TTL, which bounds how long this process honours a
// token that another process (a replica, the CLI) has ended. Only tokens
// found valid are cached, so unknown tokens cannot fill it.
package tokencache

import (
	"sync"
	"time"
)

// MaxEntries bounds a cache: a burst of new tokens beyond it costs
// database reads, never unbounded memory.
const MaxEntries = 10_000

// Cache maps token hashes to what they stand for. A nil *Cache caches
// nothing.
type Cache[V any] struct {
	ttl time.Duration
	max int

	mu      sync.RWMutex
	entries map[string]entry[V]
}

type entry[V any] struct {
	value V
	until time.Time
}

// New returns a cache that trusts an entry for ttl and holds at most
// MaxEntries.
func New[V any](ttl time.Duration) *Cache[V] {
	return newSized[V](ttl, MaxEntries)
}

func newSized[V any](ttl time.Duration, max int) *Cache[V] {
	return &Cache[V]{ttl: ttl, max: max, entries: make(map[string]entry[V])}
}

// Get returns the value cached for key, if it is still to be trusted at now.
func (c *Cache[V]) Get(key []byte, now time.Time) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.entries[string(key)]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return zero, false
	}
	return e.value, true
}

// Put caches value for key from now until the TTL has passed or expires,
// whichever is first. When the cache is full it first drops the entries
// no longer trusted, then, if still full, everything.
func (c *Cache[V]) Put(key []byte, value V, now, expires time.Time) {
	if c == nil {
		return
	}
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	if !now.Before(until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[string(key)]; !ok && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[string(key)] = entry[V]{value: value, until: until}
}

// Forget drops key: its token has ended.
func (c *Cache[V]) Forget(key []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, string(key))
	c.mu.Unlock()
}

// Clear drops every entry: the data behind the tokens is gone.
func (c *Cache[V]) Clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// Len is the number of entries, trusted or not.
func (c *Cache[V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
