package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"carebridge"
)

// Backup writes a consistent copy of the database to dest while the server
// goes on reading and writing: VACUUM INTO reads one snapshot (every write
// committed before it began, none after), so writers are never held up. The
// copy is written to a temporary file beside dest, owner-only (0600: it
// holds password and token hashes), made durable, and only then renamed to
// dest, so dest is either the whole copy or untouched. An existing dest is
// replaced.
func (db *DB) Backup(ctx context.Context, dest string) (err error) {
	if err := db.checkBackupDest(dest); err != nil {
		return err
	}
	var isCarebridge bool
	if err := db.read.QueryRowContext(ctx, hasSchemaMigrationsSQL).Scan(&isCarebridge); err != nil {
		return fmt.Errorf("sqlite: backup of %s: %w", db.Path, err)
	}
	if !isCarebridge {
		return carebridge.Errorf(carebridge.EINVALID, "%s is not a carebridge database (it has no schema_migrations table).", db.Path)
	}
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

// checkBackupDest refuses a destination that is a directory, or that is
// the database or one of the files SQLite keeps beside it: renaming the
// copy over one of those would corrupt the database or lose committed
// writes. It compares both the paths and, for files that exist, the files
// themselves, so another spelling of the path or a link is caught too.
func (db *DB) checkBackupDest(dest string) error {
	if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
		return carebridge.Errorf(carebridge.EINVALID, "%s is a directory; name the file the copy is written to.", dest)
	}
	destAbs := canonicalPath(dest)
	destInfo, destErr := os.Stat(dest)
	for _, f := range []string{db.Path, db.Path + "-wal", db.Path + "-shm", db.Path + "-journal"} {
		same := canonicalPath(f) == destAbs
		if fi, err := os.Stat(f); err == nil && destErr == nil {
			same = same || os.SameFile(fi, destInfo)
		}
		if same {
			return carebridge.Errorf(carebridge.EINVALID, "%s is the database being backed up (or a file of it); write the copy to another file.", dest)
		}
	}
	return nil
}

// canonicalPath is path made absolute, with the links of its directory
// resolved (the file itself may not exist yet).
func canonicalPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	dir, base := filepath.Split(abs)
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(resolved, base)
	}
	return abs
}

// syncFile flushes a file or a directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return errors.Join(f.Sync(), f.Close())
}
