package migrations_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"carebridge/internal/migrations"
)

// memory is an Engine whose database is the list of statements run and
// the versions recorded; a transaction works on a copy, kept on commit.
type memory struct {
	mu      sync.Mutex // the migration lock
	ran     []string
	applied map[int]string
	fail    string // Exec fails on this statement
}

type memoryTx struct {
	m       *memory
	ran     []string
	applied map[int]string
}

func (m *memory) Locked(ctx context.Context, fn func(migrations.Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memoryTx{m: m, ran: slices.Clone(m.ran), applied: maps.Clone(m.applied)}
	if tx.applied == nil {
		tx.applied = map[int]string{}
	}
	if err := fn(tx); err != nil {
		return err
	}
	m.ran, m.applied = tx.ran, tx.applied
	return nil
}

func (tx *memoryTx) Applied(context.Context) ([]int, error) {
	return slices.Sorted(maps.Keys(tx.applied)), nil
}

func (tx *memoryTx) Exec(_ context.Context, sql string) error {
	if sql == tx.m.fail {
		return errors.New("syntax error")
	}
	tx.ran = append(tx.ran, sql)
	return nil
}

func (tx *memoryTx) Record(_ context.Context, m migrations.Migration) error {
	if _, ok := tx.applied[m.Version]; ok {
		return errors.New("UNIQUE constraint failed")
	}
	tx.applied[m.Version] = m.Name
	return nil
}

func mig(v int, sql string) migrations.Migration {
	return migrations.Migration{Version: v, Name: sql + ".sql", SQL: sql}
}

// plan has three legacy steps, the baseline (the schema they leave) and
// one step after it.
var plan = migrations.Plan{
	Legacy: []migrations.Migration{mig(1, "L1"), mig(2, "L2"), mig(3, "L3")},
	Steps:  []migrations.Migration{mig(100, "BASE"), mig(101, "S101")},
}

// at returns a database that ran the statements given and records their
// versions.
func at(ms ...migrations.Migration) *memory {
	m := &memory{applied: map[int]string{}}
	for _, x := range ms {
		m.ran = append(m.ran, x.SQL)
		m.applied[x.Version] = x.Name
	}
	return m
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		db      *memory
		ran     string // every statement run on the database, in order
		applied []int
	}{
		{"new database: the baseline, not the legacy steps", at(), "BASE S101", []int{100, 101}},
		{"earlier release at its last version", at(plan.Legacy...), "L1 L2 L3 S101", []int{1, 2, 3, 100, 101}},
		{"older release: its missing legacy steps first", at(plan.Legacy[0]), "L1 L2 L3 S101", []int{1, 2, 3, 100, 101}},
		{"at the baseline", at(plan.Steps[0]), "BASE S101", []int{100, 101}},
		{"up to date", at(plan.Steps...), "BASE S101", []int{100, 101}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for range 2 { // the second run finds nothing to do
				if err := migrations.Migrate(t.Context(), c.db, plan); err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(c.db.ran, " "); got != c.ran {
					t.Fatalf("ran %q, want %q", got, c.ran)
				}
				if got := slices.Sorted(maps.Keys(c.db.applied)); !slices.Equal(got, c.applied) {
					t.Fatalf("applied %v, want %v", got, c.applied)
				}
			}
		})
	}
}

func TestMigrateRecordsTheBaselineOfAnEarlierRelease(t *testing.T) {
	t.Parallel()
	db := at(plan.Legacy[:2]...)
	if err := migrations.Migrate(t.Context(), db, plan); err != nil {
		t.Fatal(err)
	}
	if db.applied[100] != "BASE.sql" {
		t.Fatalf("applied %v: the baseline is not recorded", db.applied)
	}
}

func TestMigrateRefusesUnknownVersions(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]int{"newer": 102, "unknown": 50} {
		db := at(plan.Legacy...)
		db.applied[v] = "future.sql"
		err := migrations.Migrate(t.Context(), db, plan)
		if err == nil || !strings.Contains(err.Error(), "version") {
			t.Errorf("%s: Migrate on a database at %d = %v; want a refusal", name, v, err)
		}
		if len(db.ran) != 3 || len(db.applied) != 4 {
			t.Errorf("%s: a refused database was changed: ran %v, applied %v", name, db.ran, db.applied)
		}
	}
	db := at(plan.Steps...)
	db.applied[102] = "0102_future.sql"
	if err := migrations.Migrate(t.Context(), db, plan); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on a newer database = %v", err)
	}
}

func TestMigrateKeepsNothingOfAFailure(t *testing.T) {
	t.Parallel()
	db := at(plan.Legacy[0])
	db.fail = "L3"
	err := migrations.Migrate(t.Context(), db, plan)
	if err == nil || !strings.Contains(err.Error(), "L3.sql") {
		t.Fatalf("Migrate = %v; want the failing file named", err)
	}
	if got := strings.Join(db.ran, " "); got != "L1" || len(db.applied) != 1 {
		t.Fatalf("after a failure the database ran %q and records %v; want it as it was", got, db.applied)
	}
}
