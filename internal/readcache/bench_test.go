package readcache

import (
	"strconv"
	"testing"
)

// BenchmarkLoadHit is the cost of a hit, from many goroutines at once.
func BenchmarkLoadHit(b *testing.B) {
	c := New[string, int](10_000, 1<<20)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
		c.Load(keys[i], func() (int, int64, error) { return i, 8, nil })
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Load(keys[i%len(keys)], func() (int, int64, error) { panic("miss") })
			i++
		}
	})
}
