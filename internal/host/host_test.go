package host_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"carebridge/internal/host"
)

type fakePlugin struct{ callsign, class, version string }

func (p fakePlugin) Callsign() string  { return p.callsign }
func (p fakePlugin) ClassName() string { return p.class }
func (p fakePlugin) Version() string   { return p.version }

func newHost(t *testing.T, plugins ...host.Plugin) *host.Host {
	t.Helper()
	h := host.New()
	for _, p := range plugins {
		if err := h.Register(p); err != nil {
			t.Fatalf("Register(%s) = %v", p.Callsign(), err)
		}
	}
	return h
}

var (
	netflixPlugin = fakePlugin{"Netflix", "Netflix", "1.0.0"}
	ocpPlugin     = fakePlugin{"OCP", "OCPCustomerServices", "1.1.0"}
	ctrlPlugin    = fakePlugin{"Controller", "Controller", "1.0.0"}
)

func TestRegisterActivatesAndLooksUp(t *testing.T) {
	t.Parallel()
	h := newHost(t, netflixPlugin)
	if !h.Active("Netflix") {
		t.Error("Active(Netflix) after Register = false; want true")
	}
	p, ok := h.Plugin("Netflix")
	if !ok {
		t.Fatal("Plugin(Netflix) not found")
	}
	if p != host.Plugin(netflixPlugin) {
		t.Errorf("Plugin(Netflix) = %#v; want %#v", p, netflixPlugin)
	}
}

func TestRegisterRefusesDuplicateCallsign(t *testing.T) {
	t.Parallel()
	h := newHost(t, netflixPlugin)
	impostor := fakePlugin{"Netflix", "Impostor", "9.9.9"}
	err := h.Register(impostor)
	if err == nil {
		t.Fatal("Register of a duplicate callsign = nil; want an error")
	}
	if !strings.Contains(err.Error(), `"Netflix"`) {
		t.Errorf("error = %q; want it to name the callsign", err)
	}
	if p, _ := h.Plugin("Netflix"); p != host.Plugin(netflixPlugin) {
		t.Errorf("after a refused duplicate, Plugin(Netflix) = %#v; want the original", p)
	}
	if n := len(h.Plugins()); n != 1 {
		t.Errorf("len(Plugins()) = %d after a refused duplicate; want 1", n)
	}
	// Callsigns are case-sensitive: "netflix" is another plugin.
	if err := h.Register(fakePlugin{"netflix", "Lower", "1.0.0"}); err != nil {
		t.Errorf("Register(netflix) = %v; want nil (callsigns are case-sensitive)", err)
	}
}

func TestUnknownCallsign(t *testing.T) {
	t.Parallel()
	h := newHost(t, netflixPlugin)
	for _, cs := range []string{"", "OCP", "NETFLIX", "netflix", "Netflix "} {
		t.Run(cs, func(t *testing.T) {
			t.Parallel()
			if h.Active(cs) {
				t.Errorf("Active(%q) = true; want false", cs)
			}
			if p, ok := h.Plugin(cs); ok || p != nil {
				t.Errorf("Plugin(%q) = %v, %v; want nil, false", cs, p, ok)
			}
			changed, err := h.SetState(cs, host.Deactivated)
			if err == nil || changed {
				t.Errorf("SetState(%q) = %v, %v; want false and an error", cs, changed, err)
			}
		})
	}
	if !h.Active("Netflix") {
		t.Error("SetState on unknown callsigns changed Netflix")
	}
}

func TestSetStateReportsChange(t *testing.T) {
	t.Parallel()
	h := newHost(t, netflixPlugin, ocpPlugin)
	steps := []struct {
		state       host.State
		wantChanged bool
		wantActive  bool
	}{
		{host.Activated, false, true}, // registered activated
		{host.Deactivated, true, false},
		{host.Deactivated, false, false},
		{host.Activated, true, true},
		{host.Activated, false, true},
		{host.Deactivated, true, false},
	}
	for i, s := range steps {
		changed, err := h.SetState("Netflix", s.state)
		if err != nil {
			t.Fatalf("step %d: SetState(Netflix, %s) = %v", i, s.state, err)
		}
		if changed != s.wantChanged {
			t.Errorf("step %d: SetState(Netflix, %s) changed = %v; want %v", i, s.state, changed, s.wantChanged)
		}
		if got := h.Active("Netflix"); got != s.wantActive {
			t.Errorf("step %d: Active(Netflix) = %v; want %v", i, got, s.wantActive)
		}
		if !h.Active("OCP") {
			t.Errorf("step %d: SetState(Netflix) changed OCP", i)
		}
	}
}

func TestPluginsOrderAndStates(t *testing.T) {
	t.Parallel()
	h := host.New()
	if got := h.Plugins(); len(got) != 0 {
		t.Fatalf("Plugins() of an empty host = %v; want none", got)
	}
	h = newHost(t, ctrlPlugin, netflixPlugin, ocpPlugin)
	if _, err := h.SetState("Netflix", host.Deactivated); err != nil {
		t.Fatal(err)
	}
	want := []host.Info{
		{Callsign: "Controller", ClassName: "Controller", Version: "1.0.0", State: host.Activated},
		{Callsign: "Netflix", ClassName: "Netflix", Version: "1.0.0", State: host.Deactivated},
		{Callsign: "OCP", ClassName: "OCPCustomerServices", Version: "1.1.0", State: host.Activated},
	}
	got := h.Plugins()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plugins() = %+v; want %+v", got, want)
	}
	// The result is a copy: changing it does not change the host.
	got[0].State = host.Deactivated
	if !h.Active("Controller") || h.Plugins()[0].State != host.Activated {
		t.Error("modifying the slice Plugins() returned changed the host")
	}
	if host.Activated != "Activated" || host.Deactivated != "Deactivated" {
		t.Errorf("states are spelled %q/%q; want Thunder's Activated/Deactivated", host.Activated, host.Deactivated)
	}
}

// TestConcurrentAccess is meant for -race: readers and writers on the same
// plugin, plus registrations, all at once.
func TestConcurrentAccess(t *testing.T) {
	t.Parallel()
	h := newHost(t, netflixPlugin, ocpPlugin)
	const workers, iterations = 8, 500
	var wg sync.WaitGroup
	var changes [workers]int
	for w := range workers {
		wg.Add(3)
		go func() { // writer
			defer wg.Done()
			for i := range iterations {
				st := host.Activated
				if (i+w)%2 == 0 {
					st = host.Deactivated
				}
				changed, err := h.SetState("Netflix", st)
				if err != nil {
					t.Errorf("SetState = %v", err)
					return
				}
				if changed {
					changes[w]++
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for range iterations {
				h.Active("Netflix")
				if !h.Active("OCP") {
					t.Error("Active(OCP) = false; OCP is never deactivated")
					return
				}
				if _, ok := h.Plugin("Netflix"); !ok {
					t.Error("Plugin(Netflix) not found")
					return
				}
				for _, info := range h.Plugins() {
					if info.State != host.Activated && info.State != host.Deactivated {
						t.Errorf("Plugins() state = %q", info.State)
						return
					}
				}
			}
		}()
		go func() { // registrar
			defer wg.Done()
			for i := range 10 {
				cs := "P" + string(rune('a'+w)) + string(rune('a'+i))
				if err := h.Register(fakePlugin{cs, "Fake", "0.0.1"}); err != nil {
					t.Errorf("Register(%s) = %v", cs, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range changes {
		total += n
	}
	if total == 0 {
		t.Error("no SetState reported a change")
	}
	if n := len(h.Plugins()); n != 2+workers*10 {
		t.Errorf("len(Plugins()) = %d; want %d", n, 2+workers*10)
	}
	// Settle the state and check that it sticks.
	if _, err := h.SetState("Netflix", host.Deactivated); err != nil {
		t.Fatal(err)
	}
	if h.Active("Netflix") {
		t.Error("Active(Netflix) after the final deactivation = true")
	}
}
