package jsonrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"carebridge/internal/host"
)

// BenchmarkDecode decodes the JSON-RPC document's 000 request
// (docRequest000, with its indentation).
func BenchmarkDecode(b *testing.B) {
	body := []byte(docRequest000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if req.ID == nil || *req.ID != 42 {
			b.Fatalf("id %v, want 42", req.ID)
		}
	}
}

// benchPlugin is a host plugin that is only a callsign.
type benchPlugin string

func (p benchPlugin) Callsign() string  { return string(p) }
func (p benchPlugin) ClassName() string { return string(p) }
func (p benchPlugin) Version() string   { return "1.0.0" }

// benchPluginJSON is the Controller's status item.
type benchPluginJSON struct {
	Callsign  string     `json:"callsign"`
	ClassName string     `json:"classname"`
	State     host.State `json:"state"`
	Version   string     `json:"version"`
}

// benchDispatcher returns a dispatcher on a real plugin host holding the
// server's four plugins, with a Controller whose status method is the one
// rpcapi serves: it lists the host's plugins, filtered by the designator's
// index.
func benchDispatcher(b *testing.B) *Dispatcher {
	b.Helper()
	h := host.New()
	for _, cs := range []string{"Controller", "CustomerCareOperations", "Netflix", "OCP"} {
		if err := h.Register(benchPlugin(cs)); err != nil {
			b.Fatal(err)
		}
	}
	status := func(ctx context.Context, c *Call) (any, error) {
		out := []benchPluginJSON{}
		for _, p := range h.Plugins() {
			if c.Index == "" || c.Index == p.Callsign {
				out = append(out, benchPluginJSON{Callsign: p.Callsign, ClassName: p.ClassName, State: p.State, Version: p.Version})
			}
		}
		if c.Index != "" && len(out) == 0 {
			return nil, NewError(CodeUnknownCallsign)
		}
		return out, nil
	}
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	d.Active = h.Active
	d.Add(&Plugin{Callsign: "Controller", Versions: []int{1}, Methods: map[string]Handler{"status": status, "services": status}})
	return d
}

// BenchmarkDispatchStatus is one HTTP POST's JSON-RPC work for
// Controller.1.status@Netflix: decode, dispatch (designator, plugin,
// version and state checks, the handler) and the encoded response.
func BenchmarkDispatchStatus(b *testing.B) {
	d := benchDispatcher(b)
	ctx := context.Background()
	body := []byte(`{"jsonrpc":"2.0","id":2,"method":"Controller.1.status@Netflix"}`)
	serve := func() []byte {
		req, derr := Decode(body)
		if derr != nil {
			b.Fatal(derr)
		}
		result, rerr := d.Dispatch(ctx, req, "", nil)
		return MarshalResponse(req.ID, result, rerr)
	}
	const want = `{"jsonrpc":"2.0","id":2,"result":[{"callsign":"Netflix","classname":"Netflix","state":"Activated","version":"1.0.0"}]}`
	if got := string(serve()); got != want {
		b.Fatalf("response %s, want %s", got, want)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if out := serve(); len(out) != len(want) {
			b.Fatalf("response %s", out)
		}
	}
}

// benchConn is a WebSocket stand-in: NotifyIDs encodes the notifications as
// the real connection does, and counts them instead of sending them.
type benchConn struct {
	notes, bytes int
}

func (c *benchConn) NotifyIDs(ids []string, event string, params any) error {
	for _, id := range ids {
		msg, err := MarshalNotification(id+"."+event, params)
		if err != nil {
			return err
		}
		c.notes++
		c.bytes += len(msg)
	}
	return nil
}

// BenchmarkEventsPublish delivers one Controller statechange, as a replica
// receives it from the event bus (params already JSON), to 100 connections
// registered for it.
func BenchmarkEventsPublish(b *testing.B) {
	const conns = 100
	e := NewEvents()
	all := make([]*benchConn, conns)
	for i := range all {
		all[i] = &benchConn{}
		e.Register(all[i], "Controller", "statechange", "client.Controller.events")
		// Registrations for other events share the registry but are not
		// reached.
		e.Register(all[i], "Netflix", "statechange", fmt.Sprintf("client.Netflix.%d", i))
	}
	params := json.RawMessage(`{"callsign":"OCP","state":"Deactivated","reason":"Requested"}`)
	b.ReportAllocs()
	for b.Loop() {
		e.Publish("Controller", "statechange", params)
	}
	notes, size := 0, 0
	for _, c := range all {
		if c.notes != b.N {
			b.Fatalf("a connection got %d notifications in %d publishes", c.notes, b.N)
		}
		notes += c.notes
		size += c.bytes
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(notes), "ns/notification")
	b.ReportMetric(float64(size)/float64(notes), "B/notification")
}
