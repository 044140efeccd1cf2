package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"carebridge"
)

// testSettings: a setting is decided once; the first value saved holds,
// also when many callers save at once.
func testSettings(t *testing.T, open Open) {
	s, ctx := open(t).Tenancy, t.Context()
	_, err := s.Setting(ctx, "demo")
	wantCode(t, err, carebridge.ENOTFOUND)

	if v := ok(s.SettleSetting(ctx, "demo", "loaded")).must(t); v != "loaded" {
		t.Fatalf("first SettleSetting = %q, want loaded", v)
	}
	if v := ok(s.SettleSetting(ctx, "demo", "declined")).must(t); v != "loaded" {
		t.Fatalf("second SettleSetting = %q, want the first value, loaded", v)
	}
	if v := ok(s.Setting(ctx, "demo")).must(t); v != "loaded" {
		t.Fatalf("Setting = %q, want loaded", v)
	}
	if v := ok(s.SettleSetting(ctx, "other", "x")).must(t); v != "x" {
		t.Fatalf("SettleSetting of another key = %q, want x", v)
	}

	const n = 16
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = s.SettleSetting(ctx, "race", fmt.Sprint(i))
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("SettleSetting %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("concurrent SettleSetting answered %q and %q; want one value for all", got[0], got[i])
		}
	}
	if v := ok(s.Setting(ctx, "race")).must(t); v != got[0] {
		t.Fatalf("Setting = %q, SettleSetting answered %q", v, got[0])
	}
}

// testMigrationLock: callers of WithMigrationLock never overlap, may use
// the stores inside it, get fn's error back, and stop waiting when their
// context ends.
func testMigrationLock(t *testing.T, open Open) {
	s, ctx := open(t).Tenancy, t.Context()

	var inside, overlaps atomic.Int32
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs <- s.WithMigrationLock(ctx, func(ctx context.Context) error {
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				defer inside.Add(-1)
				// Store calls work while the lock is held.
				_, err := s.SettleSetting(ctx, fmt.Sprint("lock-", i), "held")
				time.Sleep(10 * time.Millisecond)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("WithMigrationLock: %v", err)
		}
	}
	if o := overlaps.Load(); o != 0 {
		t.Fatalf("%d callers ran while another held the lock", o)
	}

	boom := errors.New("boom")
	if err := s.WithMigrationLock(ctx, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("WithMigrationLock = %v, want fn's error", err)
	}

	// While one caller holds the lock, another whose context ends gives up
	// without running fn; once the lock is free, it is taken again.
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.WithMigrationLock(ctx, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	ran := false
	err := s.WithMigrationLock(short, func(context.Context) error { ran = true; return nil })
	if err == nil || ran {
		t.Fatalf("WithMigrationLock while held elsewhere: ran %v, err %v; want it to give up when its context ends", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.WithMigrationLock(ctx, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("WithMigrationLock after release: ran %v, err %v", ran, err)
	}
}
