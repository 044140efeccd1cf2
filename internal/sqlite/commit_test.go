package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// setupCommits opens a database with a table t (n UNIQUE) and returns it with
// hold: hold occupies the committer until the returned release is called (or
// the test ends), so that the writes a test starts meanwhile queue up behind
// it.
func setupCommits(t *testing.T) (db *DB, hold func() (release func())) {
	t.Helper()
	db = openTemp(t)
	ctx := context.Background()
	if err := db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (n INTEGER UNIQUE)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	hold = func() func() {
		running, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- db.writeTx(ctx, func(*wtx) error {
				close(running)
				<-release
				return nil
			})
		}()
		<-running
		var once sync.Once
		free := func() {
			once.Do(func() {
				close(release)
				if err := <-done; err != nil {
					t.Error(err)
				}
			})
		}
		t.Cleanup(free) // before the database closes
		return free
	}
	return db, hold
}

// waitQueued waits until n jobs wait for the committer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); db.commits.queued() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs queued, want %d", db.commits.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func insert(ctx context.Context, tx *wtx, n int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, n)
	return err
}

func stored(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.read.Query(`SELECT n FROM t ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ns []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	return ns
}

// Writes queued while a commit is in progress are committed together: no
// one of them is visible to readers before the last of them has run.
func TestWritesQueuedTogetherShareOneCommit(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	ctx := context.Background()
	release := hold()

	const writers = 10
	seen := make([]int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			err := db.writeTx(ctx, func(tx *wtx) error {
				if err := insert(ctx, tx, i); err != nil {
					return err
				}
				return db.read.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&seen[i])
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, db, writers)
	release()
	wg.Wait()

	// One transaction each would have shown readers 0, 1, … 9 rows.
	if want := make([]int, writers); !slices.Equal(seen, want) {
		t.Errorf("readers saw %v committed rows during the batch, want none", seen)
	}
	if got := stored(t, db); len(got) != writers {
		t.Errorf("stored %v, want %d rows", got, writers)
	}
}

// A write that fails, by its own error, a constraint or a panic, keeps none
// of its rows and does not affect the others committed with it.
func TestFailedWriteLeavesItsBatch(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	ctx := context.Background()
	release := hold()

	refused := errors.New("refused")
	writes := map[string]func(tx *wtx) error{
		"ok 1": func(tx *wtx) error { return insert(ctx, tx, 1) },
		"own error": func(tx *wtx) error {
			if err := insert(ctx, tx, 2); err != nil {
				return err
			}
			return refused
		},
		"constraint": func(tx *wtx) error {
			if err := insert(ctx, tx, 4); err != nil {
				return err
			}
			return insert(ctx, tx, 4) // UNIQUE
		},
		"panic": func(tx *wtx) error {
			if err := insert(ctx, tx, 5); err != nil {
				return err
			}
			panic("write function panicked")
		},
		"ok 3": func(tx *wtx) error { return insert(ctx, tx, 3) },
	}
	var mu sync.Mutex
	results := map[string]string{} // the error, or the panic raised
	var wg sync.WaitGroup
	for name, fn := range writes {
		wg.Go(func() {
			var err error
			defer func() {
				mu.Lock()
				defer mu.Unlock()
				if p := recover(); p != nil {
					results[name] = fmt.Sprint("panic: ", p)
				} else if isUniqueViolation(err) {
					results[name] = "UNIQUE"
				} else {
					results[name] = fmt.Sprint(err)
				}
			}()
			err = db.writeTx(ctx, fn)
		})
	}
	waitQueued(t, db, len(writes))
	release()
	wg.Wait()

	if got := stored(t, db); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("stored %v, want [1 3]", got)
	}
	for name, want := range map[string]string{"ok 1": "<nil>", "ok 3": "<nil>", "own error": "refused",
		"constraint": "UNIQUE", "panic": "panic: write function panicked"} {
		if results[name] != want {
			t.Errorf("%s: %q, want %q", name, results[name], want)
		}
	}
}

// When a write function ends the transaction itself (as SQLite does on a
// full disk or an I/O error), nothing of its batch was kept, and every write
// of the batch says so.
func TestLostTransactionFailsTheWholeBatch(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	ctx := context.Background()
	release := hold()

	errs := make(chan error, 4)
	for i := range 3 {
		go func() { errs <- db.writeTx(ctx, func(tx *wtx) error { return insert(ctx, tx, i) }) }()
	}
	waitQueued(t, db, 3)
	go func() {
		errs <- db.writeTx(ctx, func(tx *wtx) error {
			_, err := tx.ExecContext(ctx, `ROLLBACK`)
			return err
		})
	}()
	waitQueued(t, db, 4)
	release()
	for range 4 {
		if err := <-errs; err == nil {
			t.Error("a write of the lost transaction reported success")
		}
	}
	if got := stored(t, db); len(got) != 0 {
		t.Errorf("stored %v, want nothing", got)
	}
	// The committer goes on.
	if err := db.writeTx(ctx, func(tx *wtx) error { return insert(ctx, tx, 7) }); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, db); !slices.Equal(got, []int{7}) {
		t.Errorf("stored %v, want [7]", got)
	}
}

// A caller whose context ends while its write is queued gets the context's
// error at once, and its function never runs.
func TestQueuedWriteCancelled(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	release := hold()

	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	errc := make(chan error, 1)
	go func() {
		errc <- db.writeTx(ctx, func(tx *wtx) error {
			ran.Store(true)
			return insert(ctx, tx, 1)
		})
	}()
	waitQueued(t, db, 1)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled write: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled write waited for the committer")
	}
	release()
	// A write after it runs once the abandoned one is skipped.
	bg := context.Background()
	if err := db.writeTx(bg, func(tx *wtx) error { return insert(bg, tx, 2) }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the cancelled write's function ran")
	}
	if got := stored(t, db); !slices.Equal(got, []int{2}) {
		t.Errorf("stored %v, want [2]", got)
	}
	if err := db.writeTx(ctx, func(*wtx) error { ran.Store(true); return nil }); !errors.Is(err, context.Canceled) || ran.Load() {
		t.Errorf("write with an ended context: %v (ran %v), want context.Canceled", err, ran.Load())
	}
}

// Once a write function has started, its caller's cancellation does not
// stop it: an interrupted statement would roll back the whole transaction,
// with the other writes of the batch.
func TestStartedWriteIgnoresCancellation(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	release := hold()

	bg := context.Background()
	other := make(chan error, 1)
	go func() { other <- db.writeTx(bg, func(tx *wtx) error { return insert(bg, tx, 1) }) }()
	waitQueued(t, db, 1)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	started := make(chan error, 1)
	go func() {
		started <- db.writeTx(ctx, func(tx *wtx) error {
			cancel()
			return insert(ctx, tx, 2)
		})
	}()
	waitQueued(t, db, 2)
	release()
	if err := <-started; err != nil {
		t.Errorf("write cancelled after it started: %v, want it committed", err)
	}
	if err := <-other; err != nil {
		t.Errorf("the other write of the batch: %v", err)
	}
	if got := stored(t, db); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("stored %v, want [1 2]", got)
	}
}

// Close lets the queued writes finish; writes after it fail.
func TestCloseFinishesQueuedWrites(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	ctx := context.Background()
	release := hold()

	errc := make(chan error, 1)
	go func() { errc <- db.writeTx(ctx, func(tx *wtx) error { return insert(ctx, tx, 1) }) }()
	waitQueued(t, db, 1)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	release()
	if err := <-errc; err != nil {
		t.Errorf("queued write: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := db.writeTx(ctx, func(tx *wtx) error { return insert(ctx, tx, 2) }); !errors.Is(err, errClosed) {
		t.Errorf("write after Close: %v, want %v", err, errClosed)
	}
	again, err := Open(ctx, db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := stored(t, again); !slices.Equal(got, []int{1}) {
		t.Errorf("stored %v, want [1]", got)
	}
}

// BenchmarkDurableWrites measures single-row durable writes from one writer
// and from 64 at once; with group commit, concurrent writers share commits,
// so their ns/op falls well below one commit's.
func BenchmarkDurableWrites(b *testing.B) {
	setup := func(b *testing.B) func() error {
		db := openTemp(b)
		ctx := context.Background()
		if err := db.writeTx(ctx, func(tx *wtx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE w (n INTEGER)`)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		return func() error {
			return db.writeTx(ctx, func(tx *wtx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO w (n) VALUES (1)`)
				return err
			})
		}
	}
	b.Run("writers=1", func(b *testing.B) {
		write := setup(b)
		for b.Loop() {
			if err := write(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("writers=64", func(b *testing.B) {
		write := setup(b)
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := write(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// The commit observer hears each group commit with the number of writes
// its transaction ran: the writes queued behind a held commit as one.
func TestObserveCommitsHearsEachBatch(t *testing.T) {
	t.Parallel()
	db, hold := setupCommits(t)
	ctx := context.Background()
	var mu sync.Mutex
	var batches []int
	db.ObserveCommits(func(writes int, elapsed time.Duration) {
		if elapsed <= 0 {
			t.Errorf("a commit observed taking %v", elapsed)
		}
		mu.Lock()
		batches = append(batches, writes)
		mu.Unlock()
	})
	release := hold()
	const writers = 7
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if err := db.writeTx(ctx, func(tx *wtx) error { return insert(ctx, tx, i) }); err != nil {
				t.Error(err)
			}
		})
	}
	waitQueued(t, db, writers)
	release()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	// The held write commits alone, then the seven together.
	if want := []int{1, writers}; !slices.Equal(batches, want) {
		t.Errorf("commits observed with %v writes, want %v", batches, want)
	}
}
