package reset_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/migrations"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/reset"
)

// memory is a reset.Engine that records what a committed transaction did.
type memory struct {
	locked    [][]string // the tables of each InTx
	committed []string   // "delete T" and "audit C", in order
	// fail, when set, is asked before each step and may fail it.
	fail func(step string) error
}

func (m *memory) InTx(ctx context.Context, tables []string, fn func(tx reset.Tx) error) error {
	m.locked = append(m.locked, tables)
	tx := &memoryTx{m: m}
	if err := fn(tx); err != nil {
		return err // rolled back: nothing committed
	}
	m.committed = append(m.committed, tx.steps...)
	return nil
}

type memoryTx struct {
	m     *memory
	steps []string
}

func (t *memoryTx) step(s string) error {
	if t.m.fail != nil {
		if err := t.m.fail(s); err != nil {
			return err
		}
	}
	t.steps = append(t.steps, s)
	return nil
}

func (t *memoryTx) DeleteAll(ctx context.Context, table string) error {
	return t.step("delete " + table)
}

func (t *memoryTx) Audit(ctx context.Context, e carebridge.AuditEntry) error {
	if e.Actor != "admin:ops" || e.Action != "factory-reset" || !e.At.Equal(at) {
		return errors.New("unexpected audit record")
	}
	return t.step("audit " + e.Subject)
}

var at = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// expected lists the steps of a reset of callsigns: each plugin's tables
// in the order migrations lists them, then its audit record.
func expected(callsigns ...string) (steps, tables []string) {
	for _, c := range callsigns {
		for _, t := range migrations.PluginTables[c] {
			steps = append(steps, "delete "+t)
			tables = append(tables, t)
		}
		steps = append(steps, "audit "+c)
	}
	return steps, tables
}

func TestFactoryResetOrder(t *testing.T) {
	t.Parallel()
	for _, callsigns := range [][]string{{ocp.Callsign, netflix.Callsign}, {netflix.Callsign}} {
		m := &memory{}
		if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, callsigns); err != nil {
			t.Fatal(err)
		}
		steps, tables := expected(callsigns...)
		if !slices.Equal(m.committed, steps) {
			t.Errorf("reset of %v did %v, want %v", callsigns, m.committed, steps)
		}
		if len(m.locked) != 1 || !slices.Equal(m.locked[0], tables) {
			t.Errorf("reset of %v held %v, want one transaction holding %v", callsigns, m.locked, tables)
		}
	}
}

// A plugin without tables refuses the reset before a transaction starts;
// naming none does nothing.
func TestFactoryResetRefusals(t *testing.T) {
	t.Parallel()
	m := &memory{}
	if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, []string{netflix.Callsign, "Nobody"}); err == nil {
		t.Fatal("a reset naming a plugin without data succeeded")
	}
	if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, nil); err != nil {
		t.Fatal(err)
	}
	if len(m.locked) != 0 {
		t.Fatalf("transactions began: %v", m.locked)
	}
}

// A deadlock lost to writers is tried again, a few times; another failure
// is not.
func TestFactoryResetRetries(t *testing.T) {
	t.Parallel()
	busy := carebridge.Errorf(carebridge.EUNAVAILABLE, "The database is busy; try again.")
	losses := 2
	m := &memory{fail: func(step string) error {
		if step == "delete ocp_customers" && losses > 0 {
			losses--
			return busy
		}
		return nil
	}}
	if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, []string{netflix.Callsign, ocp.Callsign}); err != nil {
		t.Fatal(err)
	}
	if steps, _ := expected(netflix.Callsign, ocp.Callsign); len(m.locked) != 3 || !slices.Equal(m.committed, steps) {
		t.Fatalf("%d tries committed %v", len(m.locked), m.committed)
	}

	m = &memory{fail: func(string) error { return busy }}
	if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, []string{ocp.Callsign}); carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
		t.Fatalf("a reset that always loses = %v", err)
	}
	if len(m.locked) != 5 || len(m.committed) != 0 {
		t.Fatalf("%d tries, %v committed; want 5 and nothing", len(m.locked), m.committed)
	}

	broken := errors.New("disk full")
	m = &memory{fail: func(string) error { return broken }}
	if err := reset.New(m).FactoryReset(context.Background(), "admin:ops", at, []string{ocp.Callsign}); !errors.Is(err, broken) || len(m.locked) != 1 {
		t.Fatalf("a failing reset = %v after %d tries; want its error after 1", err, len(m.locked))
	}
}
