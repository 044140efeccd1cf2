package sqlite

import (
	"context"
	"path/filepath"
	"sync"
)

// fileLocks holds one lock per database file this process has open, by
// absolute path: the stores of every DB opened on one file share it.
var fileLocks sync.Map // string → chan struct{}

// WithMigrationLock runs fn holding this process's lock on the database
// file. SQLite's own write lock cannot be held across fn (fn writes through
// the same file), and a file is served by one process; the lock orders the
// callers within it, and SettleSetting keeps a decision single even
// between processes.
func (s *TenancyStore) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	path, err := filepath.Abs(s.db.Path)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	l, _ := fileLocks.LoadOrStore(path, make(chan struct{}, 1))
	lock := l.(chan struct{})
	select {
	case lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-lock }()
	return fn(ctx)
}
