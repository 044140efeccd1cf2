package rpcapi_test

import "testing"

// register and unregister answer as Thunder R5.3: null when done, -31048
// "Registration failed." when refused. An event the plugin does not
// publish is refused, so that ThunderJS calls its error callback.
func TestRegisterAnswers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ws := e.dial("/jsonrpc", "notification")
	const failed = "Registration failed."
	req := func(id, method, event string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"` + method + `","params":{"event":"` + event + `","id":"client.events"}}`
	}
	ws.roundTrip(req("1", "Controller.1.register", "statechange")).isResult(t, "1", "null")
	ws.roundTrip(req("2", "Controller.1.register", "statechange")).isError(t, "2", -31048, failed)
	ws.roundTrip(req("3", "Controller.1.register", "statechanged")).isError(t, "3", -31048, failed)
	// An admin token may not read the other plugins (the table of roles
	// gives it their factoryReset only), so it may not register for their
	// events either.
	for _, callsign := range []string{"Netflix", "OCP", "CustomerCareOperations"} {
		ws.roundTrip(req("4", callsign+".1.register", "statechange")).isError(t, "4", -32604, "Method invocation not allowed.")
	}

	// Registered once: one notification per change.
	e.must("Controller.1.deactivate", map[string]any{"callsign": "OCP"})
	isStateChange(t, ws.next(), "client.events", "OCP", "Deactivated")
	ws.roundTrip(req("5", "Controller.1.unregister", "statechange")).isResult(t, "5", "null")
	ws.roundTrip(req("6", "Controller.1.unregister", "statechange")).isError(t, "6", -31048, failed)
	ws.roundTrip(req("7", "Controller.1.unregister", "statechanged")).isError(t, "7", -31048, failed)

	// Nothing is registered any more: the next message is an answer.
	e.must("Controller.1.activate", map[string]any{"callsign": "OCP"})
	ws.roundTrip(`{"jsonrpc":"2.0","id":8,"method":"Controller.1.exists","params":{"method":"register"}}`).isResult(t, "8", "true")
}

// exists answers true or false to {"method": name}, and 0 or 22
// (ERROR_UNKNOWN_KEY) to the older form, the name alone.
func TestExistsAnswers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tt := range []struct{ params, want string }{
		{`{"method":"factoryReset"}`, "true"},
		{`{"method":"FactoryReset"}`, "false"},
		{`{"method":"unregister"}`, "true"},
		{`"factoryReset"`, "0"},
		{`"versions"`, "0"},
		{`"nosuch"`, "22"},
	} {
		body := `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.exists","params":` + tt.params + `}`
		parseAnswer(t, e.postRPC("/jsonrpc", body)).isResult(t, "1", tt.want)
	}
	for _, params := range []string{``, `,"params":null`, `,"params":{}`, `,"params":5`} {
		body := `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.exists"` + params + `}`
		parseAnswer(t, e.postRPC("/jsonrpc", body)).isError(t, "1", -32602, msgInvalidParams)
	}
}
