package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"carebridge"
)

// Group commit. A durable commit waits for the disk (fsync), and SQLite has
// one writer, so writes one at a time are bounded by the disk's flush rate.
// Instead one goroutine, the committer, owns the writer connection: it takes
// the write functions already waiting, runs them one after another in one
// transaction, each under its own savepoint, and commits them together with
// one flush. It never waits for more work to arrive, so a lone write is
// committed as soon as it is queued; under load a write waits for the batch
// in progress and the writes queued before it, taken maxBatch at a time.

// maxBatch bounds the write functions committed together.
const maxBatch = 64

var errClosed = errors.New("sqlite: the database is closed")

// committer is the queue of write functions and the state of the goroutine
// that commits them.
type committer struct {
	mu      sync.Mutex
	queue   []*writeJob
	closed  bool
	wake    chan struct{} // capacity 1: a job was queued, or Close was called
	stopped chan struct{} // closed when the committer has returned
}

// A job is queued, then either taken by the committer or abandoned by a
// caller whose context ended first; never both.
const (
	jobQueued int32 = iota
	jobTaken
	jobAbandoned
)

// writeJob is one write function waiting for, or done by, the committer.
type writeJob struct {
	ctx   context.Context
	fn    func(*wtx) error
	state atomic.Int32
	err   error
	pnc   any           // a panic of fn, raised again in the caller
	done  chan struct{} // closed when err and pnc are final
}

func (j *writeJob) finish(err error) {
	if j.err == nil && j.pnc == nil {
		j.err = err
	}
	close(j.done)
}

// writeTx runs fn in a write transaction and returns once the transaction
// that holds its writes is committed; when fn returns an error, none of its
// writes are kept. A caller whose context ends before fn starts gets the
// context's error and nothing is written; once fn has started, it runs to
// the end. When another process holds the write lock past the busy
// timeout, it answers EUNAVAILABLE: nothing was done, and the caller may try
// again.
//
// fn may share its transaction with other writes: it must read through tx
// (the reader pool does not see the batch's uncommitted writes), and it sees
// what the functions before it in the batch wrote.
func (db *DB) writeTx(ctx context.Context, fn func(tx *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	job := &writeJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	c := &db.commits
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.queue = append(c.queue, job)
	c.mu.Unlock()
	c.signal()

	select {
	case <-job.done:
	case <-ctx.Done():
		if job.state.CompareAndSwap(jobQueued, jobAbandoned) {
			return ctx.Err()
		}
		<-job.done // taken: its outcome is decided by the commit
	}
	if job.pnc != nil {
		panic(job.pnc)
	}
	return job.err
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// next waits for queued jobs and moves up to maxBatch of them into buf. It
// reports false when the database is closed and nothing is left.
func (c *committer) next(buf []*writeJob) ([]*writeJob, bool) {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxBatch)
		buf = append(buf[:0], c.queue[:n]...)
		left := copy(c.queue, c.queue[n:])
		clear(c.queue[left:])
		c.queue = c.queue[:left]
		closed := c.closed
		c.mu.Unlock()
		switch {
		case n > 0:
			return buf, true
		case closed:
			return nil, false
		}
		<-c.wake
	}
}

// queued is the number of jobs waiting for the committer.
func (c *committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// commitLoop is the committer. It returns once the database is closed and
// every queued job is done.
func (db *DB) commitLoop() {
	defer close(db.commits.stopped)
	buf := make([]*writeJob, 0, maxBatch)
	for {
		batch, ok := db.commits.next(buf)
		if !ok {
			return
		}
		db.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch runs the batch's functions in one transaction and finishes
// every job.
func (db *DB) commitBatch(batch []*writeJob) {
	live := make([]*writeJob, 0, len(batch))
	for _, j := range batch {
		if !j.state.CompareAndSwap(jobQueued, jobTaken) {
			continue // its caller has gone
		}
		if err := j.ctx.Err(); err != nil {
			j.finish(err)
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background()
	began := time.Now()
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if isBusy(err) {
		err = carebridge.Errorf(carebridge.EUNAVAILABLE, "The database is busy; try again.")
	}
	if err != nil {
		for _, j := range live {
			j.finish(err)
		}
		return
	}
	tx := &wtx{tx: sqlTx, db: db}
	// A lone function needs no savepoint: its error rolls back the
	// transaction.
	savepoints := len(live) > 1
	kept := 0
	for _, j := range live {
		if err = runJob(tx, j, savepoints); err != nil {
			// The transaction is gone: nothing of the batch was kept,
			// and the functions after this one do not run.
			sqlTx.Rollback()
			err = fmt.Errorf("sqlite: write transaction lost: %w", err)
			break
		}
		if j.err == nil && j.pnc == nil {
			kept++
		}
	}
	switch {
	case err != nil:
	case kept == 0:
		sqlTx.Rollback()
	default:
		err = sqlTx.Commit()
		if observe := db.commitObserver.Load(); err == nil && observe != nil {
			(*observe)(len(live), time.Since(began))
		}
	}
	for _, j := range live {
		j.finish(err)
	}
	// The one writer connection is free again: prepare what this
	// transaction had to compile, for the next one.
	db.prepareWrites(ctx, tx.missed)
}

// runJob runs one function, under a savepoint when it shares the
// transaction, and undoes its writes when it fails. It returns an error only
// when the transaction itself is lost (SQLite rolls back the whole
// transaction on some errors, such as a full disk).
func runJob(tx *wtx, j *writeJob, savepoint bool) error {
	ctx := context.Background()
	if savepoint {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT write_job"); err != nil {
			return err
		}
	}
	func() {
		defer func() { j.pnc = recover() }()
		j.err = j.fn(tx)
	}()
	if !savepoint {
		return nil
	}
	if j.err != nil || j.pnc != nil {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO write_job"); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "RELEASE write_job")
	return err
}

// startCommitter starts the committer; Close stops it.
func (db *DB) startCommitter() {
	db.commits.wake = make(chan struct{}, 1)
	db.commits.stopped = make(chan struct{})
	go db.commitLoop()
}

// stopCommitter refuses new writes, lets the queued ones finish and waits
// for the committer to return.
func (db *DB) stopCommitter() {
	c := &db.commits
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.stopped
}

// ObserveCommits makes fn hear of every group commit: how many write
// functions its transaction ran and how long it took from BEGIN to the
// durable COMMIT. It may be called while writes run.
func (db *DB) ObserveCommits(fn func(writes int, elapsed time.Duration)) {
	db.commitObserver.Store(&fn)
}
