package netflix_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"carebridge/internal/netflix"
)

var devAt = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)

// withDevices is a memory engine where operator 2 holds "b" and "d", and
// operator 1 holds "own", registered by user 1 an hour before devAt.
func withDevices() *memory {
	m := newMemory()
	for esn, op := range map[string]int64{"b": 2, "d": 2, "own": 1} {
		m.data.devices[esn] = device{operator: op, user: 1, at: devAt.Add(-time.Hour)}
	}
	return m
}

func TestRegisterDevices(t *testing.T) {
	t.Parallel()
	m := withDevices()
	failed, err := netflix.NewRecords(m).RegisterDevices(context.Background(), 1, []string{"d", "x", "own", "b", "a"}, ackBy, devAt)
	if err != nil {
		t.Fatal(err)
	}
	// Another operator's fail, in the order given, and stay theirs.
	if want := []string{"d", "b"}; !slices.Equal(failed, want) {
		t.Fatalf("failed %q, want %q", failed, want)
	}
	for esn, want := range map[string]device{
		"a": {1, 7, devAt}, "x": {1, 7, devAt},
		"own": {1, 1, devAt.Add(-time.Hour)}, // registered again: kept as it was
		"b":   {2, 1, devAt.Add(-time.Hour)}, "d": {2, 1, devAt.Add(-time.Hour)},
	} {
		if got := m.data.devices[esn]; got != want {
			t.Errorf("%s: %+v, want %+v", esn, got, want)
		}
	}
}

func TestUnregisterDevices(t *testing.T) {
	t.Parallel()
	m := withDevices()
	failed, err := netflix.NewRecords(m).UnregisterDevices(context.Background(), 1, []string{"z", "own", "d", "b"})
	if err != nil {
		t.Fatal(err)
	}
	// Never registered and another operator's fail, in the order given.
	if want := []string{"z", "d", "b"}; !slices.Equal(failed, want) {
		t.Fatalf("failed %q, want %q", failed, want)
	}
	if _, held := m.data.devices["own"]; held {
		t.Fatal("own is still registered")
	}
	if m.data.devices["b"].operator != 2 || m.data.devices["d"].operator != 2 {
		t.Fatalf("another operator's devices changed: %+v", m.data.devices)
	}
	// All the operator's: none fails.
	m.data.devices["own"] = device{operator: 1}
	if failed, err := netflix.NewRecords(m).UnregisterDevices(context.Background(), 1, []string{"own"}); err != nil || failed != nil {
		t.Fatalf("failed %q, %v; want none", failed, err)
	}
}

func TestDevicesWithoutESNsWriteNothing(t *testing.T) {
	t.Parallel()
	m := withDevices()
	r := netflix.NewRecords(m)
	if failed, err := r.RegisterDevices(context.Background(), 1, nil, ackBy, devAt); err != nil || failed != nil {
		t.Fatalf("register none: %q, %v", failed, err)
	}
	if failed, err := r.UnregisterDevices(context.Background(), 1, nil); err != nil || failed != nil {
		t.Fatalf("unregister none: %q, %v", failed, err)
	}
	if m.txs != 0 {
		t.Fatalf("%d transactions for no ESNs", m.txs)
	}
}

func TestDevicesFailureAnswersNothing(t *testing.T) {
	t.Parallel()
	m := withDevices()
	m.fail = func(string) error { return errors.New("connection lost") }
	r := netflix.NewRecords(m)
	if failed, err := r.RegisterDevices(context.Background(), 1, []string{"b"}, ackBy, devAt); err == nil || failed != nil {
		t.Fatalf("register: %q, %v; want an error alone", failed, err)
	}
	if failed, err := r.UnregisterDevices(context.Background(), 1, []string{"b"}); err == nil || failed != nil {
		t.Fatalf("unregister: %q, %v; want an error alone", failed, err)
	}
}
