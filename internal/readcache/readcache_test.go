package readcache

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

type counts struct{ hits, misses, evictions atomic.Int64 }

func (c *counts) Hit()     { c.hits.Add(1) }
func (c *counts) Miss()    { c.misses.Add(1) }
func (c *counts) Evicted() { c.evictions.Add(1) }

// source is the data the cache reads from: a value per key that tests
// change, as a database's committed rows.
type source struct {
	mu    sync.Mutex
	value map[string]int
	reads int
}

func (s *source) set(k string, v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.value[k] = v
}

func (s *source) loader(k string) func() (int, int64, error) {
	return func() (int, int64, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reads++
		return s.value[k], 10, nil
	}
}

func TestLoadCachesAndInvalidateDropsExactlyItsKeys(t *testing.T) {
	src := &source{value: map[string]int{"a": 1, "b": 2}}
	c := New[string, int](10, 1000)
	var n counts
	c.Observe(&n)
	get := func(k string) int {
		v, err := c.Load(k, src.loader(k))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get("a")
	get("b")
	if get("a") != 1 || get("b") != 2 || src.reads != 2 {
		t.Fatalf("reads %d, want 2: hits do not read", src.reads)
	}
	src.set("a", 10)
	src.set("b", 20)
	c.Invalidate("a")
	if got := get("a"); got != 10 {
		t.Errorf("a after its invalidation = %d, want 10", got)
	}
	if got := get("b"); got != 2 {
		t.Errorf("b, not invalidated = %d, want the cached 2", got)
	}
	c.Clear()
	if got := get("b"); got != 20 {
		t.Errorf("b after Clear = %d, want 20", got)
	}
	if n.hits.Load() != 3 || n.misses.Load() != 4 {
		t.Errorf("hits %d misses %d, want 3 and 4", n.hits.Load(), n.misses.Load())
	}
}

func TestFailedLoadIsNotCached(t *testing.T) {
	c := New[string, int](10, 1000)
	boom := errors.New("boom")
	if _, err := c.Load("a", func() (int, int64, error) { return 0, 1, boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	if c.Len() != 0 {
		t.Fatalf("a failed load was cached")
	}
}

// A fill that read the old value, paused between its load and its store
// while a write changed the value and invalidated the key, must not store
// what it read: the next read sees the write.
func TestFillRacingAnInvalidationIsDiscarded(t *testing.T) {
	for _, clearAll := range []bool{false, true} {
		t.Run(fmt.Sprintf("clear=%v", clearAll), func(t *testing.T) {
			src := &source{value: map[string]int{"a": 1}}
			c := New[string, int](10, 1000)
			loaded, resume := make(chan struct{}), make(chan struct{})
			done := make(chan int)
			go func() {
				v, _ := c.Load("a", func() (int, int64, error) {
					v, size, err := src.loader("a")()
					close(loaded) // read the old value; now wait before storing
					<-resume
					return v, size, err
				})
				done <- v
			}()
			<-loaded
			src.set("a", 2) // the write commits
			if clearAll {
				c.Clear()
			} else {
				c.Invalidate("a")
			}
			close(resume)
			if v := <-done; v != 1 {
				t.Fatalf("the paused fill answered %d, want the 1 it read", v)
			}
			if c.Len() != 0 {
				t.Fatal("the paused fill stored its value after the invalidation")
			}
			v, _ := c.Load("a", src.loader("a"))
			if v != 2 {
				t.Fatalf("next read = %d, want 2", v)
			}
		})
	}
}

// Another key's invalidation does not discard a fill.
func TestFillKeepsItsValueWhenAnotherKeyIsInvalidated(t *testing.T) {
	src := &source{value: map[string]int{"a": 1}}
	c := New[string, int](10, 1000)
	c.Load("a", func() (int, int64, error) {
		c.Invalidate("b")
		return src.loader("a")()
	})
	if c.Len() != 1 {
		t.Fatal("the fill of a was discarded by b's invalidation")
	}
}

func TestBoundsEvictLeastRecentlyUsedFirst(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		c := New[int, int](3, 1<<20)
		var n counts
		c.Observe(&n)
		load := func(k int) { c.Load(k, func() (int, int64, error) { return k, 1, nil }) }
		for k := range 3 {
			load(k)
		}
		load(0) // a hit: 0 gets a second chance
		load(3)
		if c.Len() != 3 || n.evictions.Load() != 1 {
			t.Fatalf("len %d evictions %d, want 3 and 1", c.Len(), n.evictions.Load())
		}
		if _, ok := c.entries[0]; !ok {
			t.Error("the entry just used was evicted")
		}
		for k := range 100 {
			load(k)
		}
		if c.Len() != 3 {
			t.Fatalf("len %d > 3", c.Len())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		c := New[int, int](100, 100)
		for k := range 50 {
			c.Load(k, func() (int, int64, error) { return k, 30, nil })
			if c.Bytes() > 100 {
				t.Fatalf("bytes %d > 100", c.Bytes())
			}
		}
		if c.Len() != 3 {
			t.Errorf("len %d, want 3 values of 30 bytes", c.Len())
		}
		c.Load(-1, func() (int, int64, error) { return 0, 101, nil })
		if _, ok := c.entries[-1]; ok || c.Len() != 3 {
			t.Error("a value larger than the cache was stored")
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	c := New[int, int](16, 1<<20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := (i * (g + 1)) % 40
				c.Load(k, func() (int, int64, error) { return k, 8, nil })
				if i%7 == 0 {
					c.Invalidate(k + 1)
				}
				if i%500 == 0 {
					c.Clear()
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Fatalf("len %d", c.Len())
	}
	for k, e := range c.entries {
		if e.value != k || c.ring[e.slot] != e {
			t.Fatalf("entry %d inconsistent", k)
		}
	}
	if len(c.fills) != 0 {
		t.Fatalf("%d fills left in flight", len(c.fills))
	}
}
