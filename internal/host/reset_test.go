package host_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"carebridge/internal/host"
)

// dataPlugin owns data: it counts the times it is told of a reset.
type dataPlugin struct {
	fakePlugin
	wiped *int
}

func (p dataPlugin) DataWiped() { *p.wiped++ }

// wipes records the calls of a host's Wipe and answers err.
type wipes struct {
	calls [][]string
	err   error
}

func (w *wipes) wipe(_ context.Context, actor string, callsigns []string) error {
	if actor != "admin:ops" {
		return errors.New("wrong actor " + actor)
	}
	w.calls = append(w.calls, slices.Clone(callsigns))
	return w.err
}

func resetHost(t *testing.T) (*host.Host, *wipes, *int, *int) {
	t.Helper()
	var nf, oc int
	h := newHost(t, ctrlPlugin, dataPlugin{netflixPlugin, &nf}, dataPlugin{ocpPlugin, &oc})
	w := &wipes{}
	h.Wipe = w.wipe
	return h, w, &nf, &oc
}

func TestResettable(t *testing.T) {
	t.Parallel()
	h, _, _, _ := resetHost(t)
	if got := h.Resettable(); !slices.Equal(got, []string{"Netflix", "OCP"}) {
		t.Fatalf("Resettable() = %v; want the plugins that own data, in order", got)
	}
}

// Every plugin of a reset is wiped by one call of Wipe (one transaction),
// and then told.
func TestFactoryResetWipesOnce(t *testing.T) {
	t.Parallel()
	h, w, nf, oc := resetHost(t)
	if err := h.FactoryReset(context.Background(), "admin:ops", []string{"Netflix", "OCP"}); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 1 || !slices.Equal(w.calls[0], []string{"Netflix", "OCP"}) {
		t.Fatalf("Wipe calls = %v; want one for both plugins", w.calls)
	}
	if *nf != 1 || *oc != 1 {
		t.Fatalf("told of the reset: Netflix %d, OCP %d; want once each", *nf, *oc)
	}
	if err := h.FactoryReset(context.Background(), "admin:ops", []string{"OCP"}); err != nil {
		t.Fatal(err)
	}
	if len(w.calls) != 2 || !slices.Equal(w.calls[1], []string{"OCP"}) || *nf != 1 || *oc != 2 {
		t.Fatalf("Wipe calls = %v, told %d/%d; want OCP alone", w.calls, *nf, *oc)
	}
}

// A reset naming a deactivated plugin is refused before anything is wiped.
func TestFactoryResetRefusesDeactivated(t *testing.T) {
	t.Parallel()
	h, w, nf, oc := resetHost(t)
	if _, err := h.SetState("OCP", host.Deactivated); err != nil {
		t.Fatal(err)
	}
	err := h.FactoryReset(context.Background(), "admin:ops", []string{"Netflix", "OCP"})
	if !errors.Is(err, host.ErrNotActive) {
		t.Fatalf("FactoryReset = %v; want ErrNotActive", err)
	}
	if len(w.calls) != 0 || *nf != 0 || *oc != 0 {
		t.Fatalf("Wipe calls %v, told %d/%d; want nothing", w.calls, *nf, *oc)
	}
}

// Nothing is told of a wipe that failed, or of one that was refused.
func TestFactoryResetFailures(t *testing.T) {
	t.Parallel()
	h, w, nf, oc := resetHost(t)
	w.err = errors.New("injected")
	if err := h.FactoryReset(context.Background(), "admin:ops", []string{"Netflix", "OCP"}); !errors.Is(err, w.err) {
		t.Fatalf("FactoryReset = %v; want the store's error", err)
	}
	if *nf != 0 || *oc != 0 {
		t.Fatalf("told of a failed reset: %d/%d", *nf, *oc)
	}
	w.err = nil
	for _, callsigns := range [][]string{{"Netflix", "Nobody"}, {"Controller"}} {
		if err := h.FactoryReset(context.Background(), "admin:ops", callsigns); err == nil || errors.Is(err, host.ErrNotActive) {
			t.Fatalf("FactoryReset(%v) = %v; want an error", callsigns, err)
		}
	}
	if len(w.calls) != 1 || *nf != 0 || *oc != 0 {
		t.Fatalf("Wipe calls %v, told %d/%d; want only the failed one", w.calls, *nf, *oc)
	}
}
