package tokencache

import "time"

// NewSized is New with another bound, for the tests.
func NewSized[V any](ttl time.Duration, max int) *Cache[V] { return newSized[V](ttl, max) }
