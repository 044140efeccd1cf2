package rpcapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"carebridge/docs"
	"carebridge/internal/jsonrpc"
)

// openRPCDoc is the part of the OpenRPC document these tests read.
type openRPCDoc struct {
	OpenRPC string `json:"openrpc"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Methods []struct {
		Name string `json:"name"`
	} `json:"methods"`
	Events []struct {
		Name     string `json:"name"`
		Callsign string `json:"callsign"`
	} `json:"x-events"`
}

func readOpenRPC(t *testing.T, b []byte) openRPCDoc {
	t.Helper()
	var doc openRPCDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the OpenRPC document is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenRPC, "1.") || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Methods) == 0 {
		t.Fatalf("the OpenRPC document lacks openrpc 1.x, info or methods: openrpc %q, info %+v, %d methods",
			doc.OpenRPC, doc.Info, len(doc.Methods))
	}
	return doc
}

// The document is served to anyone, as the binary holds it, and only read.
func TestOpenRPCServed(t *testing.T) {
	e := setup(t)
	r := e.send(http.MethodGet, "/openrpc.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /openrpc.json without a token: HTTP %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(r.Body, docs.OpenRPC) {
		t.Error("the served document is not the one built into the binary")
	}
	if o := r.Header.Get("Access-Control-Allow-Origin"); o != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want * (a public document)", o)
	}
	readOpenRPC(t, r.Body)

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := e.send(method, "/openrpc.json", "Bearer "+adminToken, strings.NewReader("{}"))
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s /openrpc.json: HTTP %d, want 405", method, r.Status)
		}
	}
}

// Every method the plane serves, on every callsign, is in the document,
// and every method in it is served: the list is read from the real
// server's dispatcher, so a method added without its description (or
// described and then removed) fails here.
func TestOpenRPCDescribesWhatIsServed(t *testing.T) {
	e := setup(t)
	doc := readOpenRPC(t, docs.OpenRPC)

	served := map[string]bool{}
	events := map[string]bool{}
	for _, s := range e.app.RPC.Served() {
		if !slices.Contains(s.Versions, 1) {
			t.Errorf("%s does not serve version 1, the version the document names", s.Callsign)
		}
		for _, m := range s.Methods {
			served[s.Callsign+"."+m] = true
		}
		for _, ev := range s.Events {
			events[s.Callsign+"."+ev] = true
		}
	}
	for _, want := range []string{"Controller.status", "Controller.versions", "Netflix.factoryReset", "OCP.register", "CustomerCareOperations.factoryreset"} {
		if !served[want] {
			t.Fatalf("the dispatcher does not list %s: %v", want, served)
		}
	}

	documented := map[string]bool{}
	for _, m := range doc.Methods {
		d, ok := jsonrpc.ParseDesignator(m.Name, "")
		if !ok || d.Version != 1 || d.Index != "" {
			t.Errorf("method %q is not a designator <callsign>.1.<method>", m.Name)
			continue
		}
		key := d.Callsign + "." + d.Method
		if documented[key] {
			t.Errorf("method %q is described twice", m.Name)
		}
		documented[key] = true
	}
	if missing := difference(served, documented); len(missing) > 0 {
		t.Errorf("served but not in the document: %v", missing)
	}
	if extra := difference(documented, served); len(extra) > 0 {
		t.Errorf("in the document but not served: %v", extra)
	}

	documentedEvents := map[string]bool{}
	for _, ev := range doc.Events {
		documentedEvents[ev.Callsign+"."+ev.Name] = true
	}
	if missing := difference(events, documentedEvents); len(missing) > 0 {
		t.Errorf("events published but not in x-events: %v", missing)
	}
	if extra := difference(documentedEvents, events); len(extra) > 0 {
		t.Errorf("events in x-events that no plugin publishes: %v", extra)
	}

	// And the plane says so itself, over HTTP: each plugin's exists knows
	// every method the document gives it.
	for _, m := range doc.Methods {
		d, _ := jsonrpc.ParseDesignator(m.Name, "")
		e.call(d.Callsign+".1.exists", map[string]string{"method": d.Method}).isResult(t, "1", "true")
	}
}

// difference is what a holds and b does not, sorted.
func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
