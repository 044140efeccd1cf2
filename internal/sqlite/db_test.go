package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "cb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"}
	for name, pool := range map[string]*DB{"writer": {write: db.write}, "reader": {write: db.read}} {
		for pragma, value := range want {
			var got string
			if err := pool.write.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != value {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, value)
			}
		}
	}
	var readOnly string
	if err := db.read.QueryRowContext(ctx, "PRAGMA query_only").Scan(&readOnly); err != nil || readOnly != "1" {
		t.Errorf("reader query_only = %q, %v; want 1", readOnly, err)
	}
	if got := db.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
}

func TestReaderCannotWrite(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.read.Exec(`INSERT INTO organisations (name, created_at) VALUES ('x', 0)`); err == nil {
		t.Fatal("the reader pool wrote a row")
	}
}

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cb.db")
	ctx := context.Background()
	p, err := loadMigrations()
	if err != nil || len(p.Steps) == 0 {
		t.Fatalf("loadMigrations = %d, %v", len(p.Steps), err)
	}
	ms, latest := p.Steps, p.Steps[len(p.Steps)-1].Version
	// Several processes starting at once: each opens its own pools.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.Migrate(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != latest {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, latest)
	}
	var applied int
	if err := db.read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != len(ms) {
		t.Fatalf("%d migrations recorded (%v), want %d, each once", applied, err, len(ms))
	}
}

func TestSchemaVersionOfNewFile(t *testing.T) {
	t.Parallel()
	v, err := openTemp(t).SchemaVersion(context.Background())
	if err != nil || v != 0 {
		t.Fatalf("SchemaVersion = %d, %v; want 0", v, err)
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:"} {
		if db, err := Open(context.Background(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded; two pools on an in-memory database would see two databases", p)
		}
	}
}

func TestDSNEscapesPath(t *testing.T) {
	t.Parallel()
	// A path with characters that mean something in a URL still opens the
	// file it names.
	dir := t.TempDir()
	path := filepath.Join(dir, "a b?c#d.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "a b?c#d.db")); len(matches) != 1 {
		t.Fatalf("file %q not created; found %v", path, matches)
	}
}

func TestFileIsOwnerOnly(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	info, err := os.Stat(db.Path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("database file mode %o, want 600: it holds password and token hashes", mode)
	}
}

func TestMigrateRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	db := openTemp(t)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on a newer schema = %v; want a refusal", err)
	}
}
