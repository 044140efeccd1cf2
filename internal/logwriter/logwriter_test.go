package logwriter_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"carebridge/internal/logwriter"
)

// lockedBuffer records writes: each Write call is one element.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return len(p), nil
}

func (b *lockedBuffer) snapshot() (int, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.writes), strings.Join(b.writes, "")
}

func TestBatchesAndKeepsOrder(t *testing.T) {
	t.Parallel()
	out := &lockedBuffer{}
	w := logwriter.New(out, time.Hour) // no periodic flush during the test
	var want bytes.Buffer
	for i := range 100 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := out.snapshot(); n != 0 {
		t.Fatalf("%d writes before a flush; want the lines buffered", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n, got := out.snapshot()
	if n != 1 || got != want.String() {
		t.Fatalf("%d writes of %q; want one write of every line in order", n, got)
	}
}

func TestFlushesPeriodically(t *testing.T) {
	t.Parallel()
	out := &lockedBuffer{}
	w := logwriter.New(out, 5*time.Millisecond)
	defer w.Close()
	w.Write([]byte("hello\n"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, got := out.snapshot(); got == "hello\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a buffered line was not written by the periodic flush")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentWritesStayWhole(t *testing.T) {
	t.Parallel()
	out := &lockedBuffer{}
	w := logwriter.New(out, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				fmt.Fprintf(w, "g%d-%d %s\n", g, i, strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got := out.snapshot()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, strings.Repeat("x", 100)) || !strings.HasPrefix(l, "g") {
			t.Fatalf("a line was torn: %q", l)
		}
	}
}
