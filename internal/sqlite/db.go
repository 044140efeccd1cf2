// Package sqlite is the embedded storage engine: one database file, tuned for
// a server. Writes go through a single connection (SQLite allows one writer at
// a time, so queueing in Go is cheaper than spinning on SQLITE_BUSY) and are
// committed in groups (commit.go); reads use a separate pool that never
// writes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"carebridge/internal/storage"
)

// DB is an open carebridge database.
type DB struct {
	Path  string
	write *sql.DB
	read  *sql.DB

	// Prepared statements of the reader pool, by SQL text: SQLite then
	// compiles a hot query once per connection instead of on every call
	// (compiling was the largest cost of a read in profiles).
	readStmts sync.Map // string → *sql.Stmt

	// Prepared statements of the writer connection, by SQL text; see wtx.
	writeStmts     sync.Map // string → *sql.Stmt
	writeStmtCount atomic.Int32

	// The queue of write functions and the goroutine that owns the writer
	// connection to commit them (see writeTx).
	commits        committer
	commitObserver atomic.Pointer[func(writes int, elapsed time.Duration)]

	// The read caches, shared by the stores on this database, each with
	// what tells it of other processes' writes.
	showCache *storage.ShowCache
	showWatch *versionWatch
	ocpCaches storage.OCPCaches
	ocpWatch  *versionWatch
}

// readStmt returns the reader pool's prepared statement for query.
func (db *DB) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.readStmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.readStmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// readRow runs a prepared single-row query on the reader pool.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.readStmt(ctx, query)
	if err != nil {
		return db.read.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

// readRows runs a prepared query on the reader pool.
func (db *DB) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.readStmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Pragmas applied to every connection. synchronous=FULL makes a commit
// durable once it returns, even in WAL mode; busy_timeout covers other
// processes (the CLI beside a running server).
var pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(ON)",
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: a database file path is required")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create data directory: %w", err)
		}
	}
	// The file holds password and token hashes: owner only. SQLite gives
	// its -wal and -shm files the database file's mode when it creates
	// them, and it creates the -shm on the first connection: so the file is
	// created 0600 here, before SQLite opens it (an empty file is an empty
	// database).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	} else if err := f.Close(); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)

	db := &DB{Path: path, write: write, read: read,
		showCache: storage.NewShowCache(showCacheEntries, showCacheBytes),
		ocpCaches: storage.NewOCPCaches(ocpCacheEntries, ocpCacheBytes)}
	db.showWatch = &versionWatch{db: db, now: time.Now}
	db.ocpWatch = &versionWatch{db: db, now: time.Now}
	db.startCommitter()
	// The writer connects first so that WAL mode is set before any reader
	// opens the file. Switching a new file to WAL needs an exclusive lock
	// that SQLite does not wait for, so processes starting together retry.
	for attempt := 0; ; attempt++ {
		err = db.Ping(ctx)
		if err == nil {
			break
		}
		if !isBusy(err) || attempt == 100 {
			db.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	// A file made by an older carebridge, or by hand, may be readable by
	// others, and so may its -wal and -shm (which hold recent pages):
	// restrict all three.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && (f == path || !errors.Is(err, fs.ErrNotExist)) {
			db.Close()
			return nil, fmt.Errorf("sqlite: restrict %s: %w", f, err)
		}
	}
	return db, nil
}

func dsn(path string, writer bool) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if writer {
		// BEGIN IMMEDIATE takes the write lock at the start of a
		// transaction, so a read-then-write never fails half-way with
		// SQLITE_BUSY.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close waits for the writes in progress, then closes both pools and the
// prepared statements. Writes after it fail.
func (db *DB) Close() error {
	db.stopCommitter()
	for _, m := range []*sync.Map{&db.readStmts, &db.writeStmts} {
		m.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// PoolStats reads the statistics of the reader pool and of the one
// writer connection.
func (db *DB) PoolStats() (reader, writer sql.DBStats) {
	return db.read.Stats(), db.write.Stats()
}

// Ping checks that both pools reach the file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// wtx is the write transaction a write function runs in. It runs
// statements prepared on the writer connection when there are (compiling is
// a large part of a write), and notes the others so that they are prepared
// after it.
//
// Its statements ignore the caller's cancellation: the transaction may hold
// other requests' writes (see writeTx), and SQLite answers an interrupted
// statement by rolling back the whole transaction. A caller's deadline is
// checked before its function starts instead.
type wtx struct {
	tx     *sql.Tx
	db     *DB
	missed []string
}

func (tx *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := tx.db.writeStmts.Load(query); ok {
		return tx.tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	tx.missed = append(tx.missed, query)
	return nil
}

func (tx *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, query, args...)
}

func (tx *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, query, args...)
}

func (tx *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// Prepare prepares a statement for this transaction only (a bulk insert's
// loop).
func (tx *wtx) Prepare(query string) (*wstmt, error) {
	st, err := tx.tx.PrepareContext(context.Background(), query)
	return &wstmt{st}, err
}

// wstmt is a statement of one write transaction; like wtx, it cannot be
// cancelled.
type wstmt struct{ st *sql.Stmt }

func (s *wstmt) Exec(args ...any) (sql.Result, error) {
	return s.st.ExecContext(context.Background(), args...)
}

func (s *wstmt) Close() error { return s.st.Close() }

// maxWriteStmts bounds the writer's statement cache; every statement the
// stores write is a fixed text, so the bound is never reached in practice.
const maxWriteStmts = 512

// prepareWrites prepares statements on the writer pool (its one
// connection). A statement that does not prepare (a migration's DDL) is
// simply left to be compiled each time.
func (db *DB) prepareWrites(ctx context.Context, queries []string) {
	for _, q := range queries {
		if _, ok := db.writeStmts.Load(q); ok || db.writeStmtCount.Load() >= maxWriteStmts {
			continue
		}
		st, err := db.write.PrepareContext(context.WithoutCancel(ctx), q)
		if err != nil {
			continue
		}
		if _, loaded := db.writeStmts.LoadOrStore(q, st); loaded {
			st.Close()
		} else {
			db.writeStmtCount.Add(1)
		}
	}
}

// isBusy reports SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// collect reads every row of a query with scan, appended to dst (see
// storage.Append), and closes the rows.
func collect[T any](rows *sql.Rows, err error, dst []T, scan func(storage.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storage.Append(dst, rows, scan)
}

// each calls fn with every row of a query, and closes the rows.
func each(rows *sql.Rows, err error, fn func(storage.Scanner) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	return storage.Each(rows, fn)
}
