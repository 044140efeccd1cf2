package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to dest while the server
// goes on reading and writing: VACUUM INTO reads one snapshot (every write
// committed before it began, none after), so writers are never held up. The
// copy is written to a temporary file beside dest, owner-only (0600: it
// holds password and token hashes), made durable, and only then renamed to
// dest, so dest is either the whole copy or untouched. An existing dest is
// replaced.
func (db *DB) Backup(ctx context.Context, dest string) (err error) {
	dir := filepath.Dir(dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmpPath := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(tmpPath)
		}
	}()
	// VACUUM INTO fills an empty file; os.CreateTemp made it 0600.
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// The pools cannot run it: the readers are query-only, and on the
	// writer it would hold up every write for as long as the copy takes.
	pool, err := sql.Open("sqlite", dsn(db.Path, false))
	if err != nil {
		return err
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = 0`); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup of %s: %w", db.Path, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return err
	}
	if err := os.Rename(tmpPath, dest); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// The rename is durable once the directory is.
	return syncFile(dir)
}

// syncFile flushes a file or a directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return errors.Join(f.Sync(), f.Close())
}
