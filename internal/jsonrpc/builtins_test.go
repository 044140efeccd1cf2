package jsonrpc

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// register and unregister answer as Thunder R5.3 does: null when done,
// -31048 "Registration failed." when refused.
func TestDispatchRegisterAnswers(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	conn, other := &fakeConn{name: "conn"}, &fakeConn{name: "other"}
	ctx := context.Background()
	call := func(c Conn, method, event, id string) *Error {
		t.Helper()
		params, _ := json.Marshal(map[string]string{"event": event, "id": id})
		result, err := d.Dispatch(ctx, request(method, string(params)), "", c)
		if err == nil {
			if got := resultJSON(t, result); got != "null" {
				t.Fatalf("%s %s/%s = %s; want null", method, event, id, got)
			}
		}
		return err
	}
	ok := func(c Conn, method, event, id string) {
		t.Helper()
		if err := call(c, method, event, id); err != nil {
			t.Fatalf("%s %s/%s: %v", method, event, id, err)
		}
	}
	refused := func(c Conn, method, event, id string) {
		t.Helper()
		wantError(t, call(c, method, event, id), CodeFailedRegistered, "Registration failed.")
	}
	// heard publishes the events, and what each connection receives must
	// be what it registered for.
	heard := func(wantConn, wantOther []string) {
		t.Helper()
		d.Events.Publish("Controller", "statechange", nil)
		d.Events.Publish("Controller", "nosuch", nil)
		d.Events.Publish("Netflix", "statechange", nil)
		for _, c := range []struct {
			conn *fakeConn
			want []string
		}{{conn, wantConn}, {other, wantOther}} {
			if got := methods(c.conn.take()); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
				t.Fatalf("%s heard %v; want %v", c.conn.name, got, c.want)
			}
		}
	}
	list := func(m ...string) []string { return m }

	ok(conn, "Controller.1.register", "statechange", "a")
	refused(conn, "Controller.1.register", "statechange", "a") // twice
	heard(list("a.statechange"), nil)                          // once
	ok(conn, "Controller.1.register", "statechange", "b")      // another id
	ok(other, "Controller.1.register", "statechange", "a")     // another connection

	// Events the plugin does not publish, spelt otherwise, or another
	// plugin's: refused, and nothing registered.
	refused(conn, "Controller.1.register", "nosuch", "a")
	refused(conn, "Controller.1.register", "StateChange", "c")
	refused(conn, "Netflix.1.register", "statechange", "a")
	refused(conn, "CustomerCareOperations.1.register", "statechange", "a")
	heard(list("a.statechange", "b.statechange"), list("a.statechange"))

	ok(conn, "Controller.1.unregister", "statechange", "a")
	refused(conn, "Controller.1.unregister", "statechange", "a") // twice
	refused(conn, "Controller.1.unregister", "nosuch", "b")
	refused(conn, "Netflix.1.unregister", "statechange", "b")
	heard(list("b.statechange"), list("a.statechange"))
	// Registered again after an unregister.
	ok(conn, "Controller.1.register", "statechange", "a")
	heard(list("a.statechange", "b.statechange"), list("a.statechange"))
}

// Over the limit, a registration is refused as Thunder refuses one.
func TestDispatchRegisterLimit(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	conn := &fakeConn{}
	for i := range MaxRegistrations {
		params := fmt.Sprintf(`{"event":"statechange","id":"id-%d"}`, i)
		if _, err := d.Dispatch(context.Background(), request("Controller.1.register", params), "", conn); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	_, err := d.Dispatch(context.Background(), request("Controller.1.register", `{"event":"statechange","id":"one-more"}`), "", conn)
	wantError(t, err, CodeFailedRegistered, "Registration failed.")
}

// An event name or id over MaxRegistrationBytes is invalid params, and
// nothing is registered: a connection's registrations stay small.
func TestDispatchRegisterLongNames(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	conn := &fakeConn{}
	long := strings.Repeat("x", MaxRegistrationBytes+1)
	for _, params := range []string{
		`{"event":"statechange","id":"` + long + `"}`,
		`{"event":"` + long + `","id":"a"}`,
	} {
		_, err := d.Dispatch(context.Background(), request("Controller.1.register", params), "", conn)
		if err == nil || err.Code != CodeInvalidParams {
			t.Fatalf("register with a long name: %v, want -32602", err)
		}
	}
	d.Events.mu.Lock()
	n := d.Events.count(conn)
	d.Events.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d registrations after refusals", n)
	}
	at := `{"event":"statechange","id":"` + long[:MaxRegistrationBytes] + `"}`
	if _, err := d.Dispatch(context.Background(), request("Controller.1.register", at), "", conn); err != nil {
		t.Fatalf("an id of exactly %d bytes: %v", MaxRegistrationBytes, err)
	}
}

// exists in its older form takes the method's name as a string and
// answers 0 or ERROR_UNKNOWN_KEY (22), as Thunder R5.3 still does.
func TestDispatchExistsOlderForm(t *testing.T) {
	t.Parallel()
	d, _ := testDispatcher()
	for _, tt := range []struct {
		params, want string
	}{
		{`"factoryReset"`, "0"},
		{`"register"`, "0"},
		{`"factoryreset"`, "22"},
		{`"nosuch"`, "22"},
		{`""`, "22"},
		{`"fact\u006fryReset"`, "0"},
	} {
		result, err := d.Dispatch(context.Background(), request("Netflix.1.exists", tt.params), "", nil)
		if err != nil {
			t.Fatalf("exists %s: %v", tt.params, err)
		}
		if got := resultJSON(t, result); got != tt.want {
			t.Errorf("exists %s = %s; want %s", tt.params, got, tt.want)
		}
	}
	_, err := d.Dispatch(context.Background(), request("Netflix.1.exists", `null`), "", nil)
	wantError(t, err, CodeInvalidParams, "Invalid parameters.")
}
