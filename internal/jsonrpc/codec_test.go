package jsonrpc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The request and response examples of the two documents, verbatim (their
// own indentation kept). 000 names the method "<callsign>.1.factoryReset";
// 001 names it "CustomerCareOperations.1.factoryreset".
const (
	docRequest000 = `{
  "jsonrpc": "2.0",
  "id": 42,
  "method": "<callsign>.1.factoryReset"
}`
	docRequest001 = `{
    "jsonrpc": "2.0",
    "id": 42,
    "method": "CustomerCareOperations.1.factoryreset"
}`
	docResponse000 = `{
  "jsonrpc": "2.0",
  "id": 42,
  "result": null
}`
	docResponse001 = `{
    "jsonrpc": "2.0",
    "id": 42,
    "result": null
}`
	// The documents' answer, in the compact form MarshalResponse writes.
	goldenNullAnswer = `{"jsonrpc":"2.0","id":42,"result":null}`
)

func u32(v uint32) *uint32 { return &v }

// decodeJSON unmarshals b into a generic value, failing the test when b is
// not JSON.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// decodeObject unmarshals b into a map of raw members.
func decodeObject(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

func TestDecodeDocumentExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, method string
	}{
		{"000 factoryReset", docRequest000, "<callsign>.1.factoryReset"},
		{"001 legacy factoryreset", docRequest001, "CustomerCareOperations.1.factoryreset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if req.ID == nil || *req.ID != 42 {
				t.Errorf("ID = %v; want 42", req.ID)
			}
			if req.Notification() {
				t.Error("Notification() = true for a request with id 42")
			}
			if req.Method != tt.method {
				t.Errorf("Method = %q; want %q", req.Method, tt.method)
			}
			if req.Params != nil {
				t.Errorf("Params = %q; want nil (the method takes no parameters)", req.Params)
			}
		})
	}
}

// A null id is not a notification (JSON-RPC 2.0 §4: only an absent id
// is); Thunder's ids are numbers, so it is an invalid request, answered
// with "id": null.
func TestDecodeNullIDIsInvalid(t *testing.T) {
	t.Parallel()
	req, err := Decode([]byte(`{"jsonrpc":"2.0","id":null,"method":"Netflix.1.factoryReset"}`))
	if err == nil || err.Code != CodeInvalidRequest {
		t.Fatalf("Decode = %+v, %v; want -32600", req, err)
	}
	if got := string(MarshalResponse(nil, nil, err)); got != `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request."}}` {
		t.Fatalf("answer %s", got)
	}
}

func TestDecodeNotification(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"no id", `{"jsonrpc":"2.0","method":"Netflix.1.factoryReset"}`},
		{"no id, spaces", `{ "jsonrpc" : "2.0" , "method" : "Netflix.1.factoryReset" }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if req.ID != nil {
				t.Errorf("ID = %d; want nil", *req.ID)
			}
			if !req.Notification() {
				t.Error("Notification() = false; want true")
			}
			if req.Method != "Netflix.1.factoryReset" {
				t.Errorf("Method = %q", req.Method)
			}
		})
	}
}

func TestDecodeIDRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want uint32
	}{
		{"0", 0},
		{"1", 1},
		{"42", 42},
		{"2147483648", 2147483648},
		{"4294967295", 4294967295},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(`{"jsonrpc":"2.0","id":` + tt.id + `,"method":"Netflix.1.factoryReset"}`))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if req.ID == nil || *req.ID != tt.want {
				t.Errorf("ID = %v; want %d", req.ID, tt.want)
			}
			if req.Notification() {
				t.Error("Notification() = true; want false")
			}
		})
	}
}

func TestDecodeInvalidID(t *testing.T) {
	t.Parallel()
	ids := []string{
		"-1",
		"-0",
		"4294967296",
		"18446744073709551616",
		"99999999999999999999999999999999",
		"1.5",
		"42.0",
		"1e2",
		"1E400",
		`"42"`,
		`""`,
		"true",
		"false",
		"[]",
		"[42]",
		"{}",
		`{"id":42}`,
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"Netflix.1.factoryReset"}`))
			if err == nil {
				t.Fatalf("Decode accepted id %s: %+v", id, req)
			}
			if err.Code != CodeInvalidRequest || err.Message != "Invalid request." {
				t.Errorf("error = %d %q; want -32600 %q", err.Code, err.Message, "Invalid request.")
			}
			// An id that cannot be read cannot be carried: the answer's id is null.
			if req != nil && req.ID != nil {
				t.Errorf("ID = %d for an unreadable id %s", *req.ID, id)
			}
		})
	}
}

func TestDecodeJSONRPCMember(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, member string }{
		{"missing", ``},
		{"1.0", `"jsonrpc":"1.0",`},
		{"2", `"jsonrpc":"2",`},
		{"2.0 with space", `"jsonrpc":"2.0 ",`},
		{"empty", `"jsonrpc":"",`},
		{"null", `"jsonrpc":null,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(`{` + tt.member + `"id":42,"method":"Netflix.1.factoryReset"}`))
			if err == nil {
				t.Fatalf("Decode accepted %s: %+v", tt.member, req)
			}
			if err.Code != CodeInvalidRequest {
				t.Errorf("code = %d; want -32600", err.Code)
			}
			if req == nil || req.ID == nil || *req.ID != 42 {
				t.Fatalf("request = %+v; want the id 42 returned so the answer can carry it", req)
			}
			answer := MarshalResponse(req.ID, nil, err)
			want := `{"jsonrpc":"2.0","id":42,"error":{"code":-32600,"message":"Invalid request."}}`
			if string(answer) != want {
				t.Errorf("answer = %s; want %s", answer, want)
			}
		})
	}
	t.Run("missing without id", func(t *testing.T) {
		t.Parallel()
		req, err := Decode([]byte(`{"method":"Netflix.1.factoryReset"}`))
		if err == nil || err.Code != CodeInvalidRequest {
			t.Fatalf("error = %v; want -32600", err)
		}
		if req != nil && req.ID != nil {
			t.Errorf("ID = %d; want none", *req.ID)
		}
	})
}

// A "jsonrpc" member of the wrong JSON type (a number, an object) makes
// json.Unmarshal fail on the whole struct, and Decode then returns no request
// even though the id was readable: the answer goes out with "id": null and
// the client cannot match it. Decode's own comment promises the id.
func TestDecodeJSONRPCWrongTypeKeepsID(t *testing.T) {
	t.Parallel()
	for _, member := range []string{`2.0`, `2`, `true`, `{}`, `["2.0"]`} {
		req, err := Decode([]byte(`{"jsonrpc":` + member + `,"id":42,"method":"Netflix.1.factoryReset"}`))
		if err == nil || err.Code != CodeInvalidRequest {
			t.Errorf("jsonrpc %s: error = %v; want -32600", member, err)
			continue
		}
		if req == nil || req.ID == nil || *req.ID != 42 {
			t.Errorf("jsonrpc %s: request = %+v; want the id 42 returned", member, req)
		}
	}
}

// JSON-RPC 2.0: "All member names exchanged between the Client and the
// Server that are considered for matching of any kind should be considered
// to be case-sensitive", and the documents make every identifier
// case-sensitive. encoding/json matches struct fields case-insensitively.
func TestDecodeMemberNamesCaseSensitive(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`{"JSONRPC":"2.0","id":1,"method":"Netflix.1.factoryReset"}`,
		`{"jsonrpc":"2.0","id":1,"Method":"Netflix.1.factoryReset"}`,
		`{"jsonrpc":"2.0","id":1,"METHOD":"Netflix.1.factoryReset"}`,
	}
	for _, body := range bodies {
		if req, err := Decode([]byte(body)); err == nil {
			t.Errorf("Decode(%s) accepted: %+v; want -32600", body, req)
		}
	}
}

func TestDecodeInvalidMethod(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, member string }{
		{"missing", ``},
		{"null", `,"method":null`},
		{"empty", `,"method":""`},
		{"number", `,"method":42`},
		{"true", `,"method":true`},
		{"object", `,"method":{"name":"Netflix.1.factoryReset"}`},
		{"array", `,"method":["Netflix.1.factoryReset"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(`{"jsonrpc":"2.0","id":7` + tt.member + `}`))
			if err == nil {
				t.Fatalf("Decode accepted method member %q: %+v", tt.member, req)
			}
			if err.Code != CodeInvalidRequest || err.Message != "Invalid request." {
				t.Errorf("error = %d %q; want -32600", err.Code, err.Message)
			}
			if req == nil || req.ID == nil || *req.ID != 7 {
				t.Errorf("request = %+v; want the id 7 returned", req)
			}
		})
	}
}

func TestDecodeNotAnObject(t *testing.T) {
	t.Parallel()
	bodies := []string{
		`[{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"},{"jsonrpc":"2.0","id":2,"method":"Netflix.1.versions"}]`,
		`[{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"}]`,
		`[]`,
		`null`,
		`42`,
		`"Netflix.1.factoryReset"`,
		`true`,
		` [ ] `,
	}
	for _, body := range bodies {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(body))
			if err == nil {
				t.Fatalf("Decode accepted %s: %+v", body, req)
			}
			if err.Code != CodeInvalidRequest {
				t.Errorf("code = %d; want -32600", err.Code)
			}
			if req != nil && req.ID != nil {
				t.Errorf("ID = %d; want none", *req.ID)
			}
		})
	}
}

func TestDecodeParseError(t *testing.T) {
	t.Parallel()
	valid := `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"}`
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"only whitespace", " \t\r\n "},
		{"unterminated", `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"`},
		{"trailing garbage", valid + ` x`},
		{"two objects", valid + valid},
		{"trailing comma", `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset",}`},
		{"single quotes", `{'jsonrpc':'2.0','id':1,'method':'Netflix.1.factoryReset'}`},
		{"bare word", `nul`},
		{"unquoted key", `{jsonrpc:"2.0"}`},
		{"leading zero id", `{"jsonrpc":"2.0","id":042,"method":"Netflix.1.factoryReset"}`},
		{"plus id", `{"jsonrpc":"2.0","id":+1,"method":"Netflix.1.factoryReset"}`},
		{"NaN id", `{"jsonrpc":"2.0","id":NaN,"method":"Netflix.1.factoryReset"}`},
		{"raw newline in string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Netflix.1\nfactoryReset\"}"},
		{"bad escape", `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.\qfactoryReset"}`},
		{"NUL byte", "\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode accepted %q: %+v", tt.body, req)
			}
			if err.Code != CodeParseError || err.Message != "Parse error." {
				t.Errorf("error = %d %q; want -32700 %q", err.Code, err.Message, "Parse error.")
			}
			if req != nil {
				t.Errorf("request = %+v; want nil for a parse error", req)
			}
		})
	}
}

// Decode trims with bytes.TrimSpace, which also removes characters that are
// not JSON whitespace (\v, \f, U+0085, U+00A0, U+2028, …): a body that is not
// JSON is then served instead of getting a parse error.
func TestDecodeNonJSONWhitespaceIsParseError(t *testing.T) {
	t.Parallel()
	valid := `{"jsonrpc":"2.0","id":1,"method":"Netflix.1.factoryReset"}`
	for _, pad := range []string{"\v", "\f", "\u00a0", "\u0085", "\u2028"} {
		req, err := Decode([]byte(pad + valid + pad))
		if err == nil || err.Code != CodeParseError {
			t.Errorf("Decode(%q + request) = %+v, %v; want -32700", pad, req, err)
		}
	}
}

func TestDecodeSurroundingJSONWhitespace(t *testing.T) {
	t.Parallel()
	req, err := Decode([]byte(" \t\r\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"Netflix.1.factoryReset\"}\r\n "))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if req.ID == nil || *req.ID != 3 || req.Method != "Netflix.1.factoryReset" {
		t.Errorf("request = %+v", req)
	}
}

func TestDecodeParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, member string
		want         json.RawMessage // nil: Params must be nil
	}{
		{"absent", ``, nil},
		{"null", `,"params":null`, nil},
		{"null with spaces", `,"params" :  null `, nil},
		{"empty object", `,"params":{}`, json.RawMessage(`{}`)},
		{"object kept raw", `,"params":{ "callsign" : "Netflix", "n": [1, 2.50] }`, json.RawMessage(`{ "callsign" : "Netflix", "n": [1, 2.50] }`)},
		{"nested object", `,"params":{"a":{"b":{"c":[{"d":null}]}}}`, json.RawMessage(`{"a":{"b":{"c":[{"d":null}]}}}`)},
		{"array kept raw", `,"params":[1,"two",{"three":3}]`, json.RawMessage(`[1,"two",{"three":3}]`)},
		{"unicode kept raw", `,"params":{"name":"Café \u00e9 ☕"}`, json.RawMessage(`{"name":"Café \u00e9 ☕"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(`{"jsonrpc":"2.0","id":5,"method":"Netflix.1.factoryReset"` + tt.member + `}`))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tt.want == nil {
				if req.Params != nil {
					t.Errorf("Params = %q; want nil", req.Params)
				}
				return
			}
			if !bytes.Equal(req.Params, tt.want) {
				t.Errorf("Params = %q; want %q", req.Params, tt.want)
			}
		})
	}
}

func TestDecodeMethodUnicode(t *testing.T) {
	t.Parallel()
	req, err := Decode([]byte(`{"jsonrpc":"2.0","id":1,"method":"Netfl\u0069x.1.f\u00e4ctoryReset"}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if req.Method != "Netflix.1.fäctoryReset" {
		t.Errorf("Method = %q; want escapes resolved", req.Method)
	}
}

func TestDecodeMemberOrder(t *testing.T) {
	t.Parallel()
	req, err := Decode([]byte(`{"params":{"x":1},"method":"Netflix.1.exists","id":9,"jsonrpc":"2.0"}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if req.ID == nil || *req.ID != 9 || req.Method != "Netflix.1.exists" || string(req.Params) != `{"x":1}` {
		t.Errorf("request = %+v", req)
	}
}

func TestMarshalResponseGolden(t *testing.T) {
	t.Parallel()
	got := MarshalResponse(u32(42), nil, nil)
	if string(got) != goldenNullAnswer {
		t.Errorf("MarshalResponse(42, nil, nil) = %s; want %s", got, goldenNullAnswer)
	}
	// The same answer as the documents' examples, whitespace aside.
	for _, doc := range []string{docResponse000, docResponse001} {
		if want := decodeJSON(t, []byte(doc)); !reflect.DeepEqual(decodeJSON(t, got), want) {
			t.Errorf("answer %s differs from the document's %s", got, doc)
		}
	}
}

func TestMarshalResponseResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     *uint32
		result any
		want   string
	}{
		{"zero", u32(1), 0, `{"jsonrpc":"2.0","id":1,"result":0}`},
		{"false", u32(1), false, `{"jsonrpc":"2.0","id":1,"result":false}`},
		{"empty string", u32(1), "", `{"jsonrpc":"2.0","id":1,"result":""}`},
		{"empty slice", u32(1), []int{}, `{"jsonrpc":"2.0","id":1,"result":[]}`},
		{"object", u32(4294967295), map[string]any{"b": 2, "a": "x"}, `{"jsonrpc":"2.0","id":4294967295,"result":{"a":"x","b":2}}`},
		{"id 0", u32(0), nil, `{"jsonrpc":"2.0","id":0,"result":null}`},
		{"raw message", u32(2), json.RawMessage(`{"k":[1,2]}`), `{"jsonrpc":"2.0","id":2,"result":{"k":[1,2]}}`},
		{"nil id", nil, true, `{"jsonrpc":"2.0","id":null,"result":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := MarshalResponse(tt.id, tt.result, nil); string(got) != tt.want {
				t.Errorf("MarshalResponse = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestMarshalResponseError(t *testing.T) {
	t.Parallel()
	got := MarshalResponse(u32(42), "ignored", NewError(CodeUnknownMethod))
	want := `{"jsonrpc":"2.0","id":42,"error":{"code":-32601,"message":"Unknown method."}}`
	if string(got) != want {
		t.Errorf("MarshalResponse = %s; want %s", got, want)
	}
	m := decodeObject(t, got)
	if _, ok := m["result"]; ok {
		t.Errorf("an error answer has a result member: %s", got)
	}
	var e Error
	if err := json.Unmarshal(m["error"], &e); err != nil {
		t.Fatalf("error member: %v", err)
	}
	if e.Code != CodeUnknownMethod || e.Message != "Unknown method." {
		t.Errorf("error = %+v", e)
	}
}

func TestMarshalResponseNilID(t *testing.T) {
	t.Parallel()
	got := MarshalResponse(nil, nil, NewError(CodeParseError))
	want := `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error."}}`
	if string(got) != want {
		t.Errorf("MarshalResponse = %s; want %s", got, want)
	}
	m := decodeObject(t, got)
	if id, ok := m["id"]; !ok || string(id) != "null" {
		t.Errorf(`id member = %q (present %v); want "id":null`, id, ok)
	}
}

func TestMarshalResponseUnencodable(t *testing.T) {
	t.Parallel()
	results := map[string]any{
		"channel":  make(chan int),
		"func":     func() {},
		"NaN":      func() float64 { z := 0.0; return z / z }(),
		"in a map": map[string]any{"c": make(chan struct{})},
	}
	for name, result := range results {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := MarshalResponse(u32(42), result, nil)
			want := `{"jsonrpc":"2.0","id":42,"error":{"code":-32603,"message":"Internal error."}}`
			if string(got) != want {
				t.Errorf("MarshalResponse = %s; want %s", got, want)
			}
		})
	}
}

func TestNewErrorMessages(t *testing.T) {
	t.Parallel()
	// The codes and messages of Thunder's JSON-RPC conventions.
	want := map[int]string{
		-32700: "Parse error.",
		-32600: "Invalid request.",
		-32601: "Unknown method.",
		-32602: "Invalid parameters.",
		-32603: "Internal error.",
		-32604: "Method invocation not allowed.",
		-31002: "The service is not active.",
		-31038: "Requested version is not supported.",
		-31043: "The service is not available.",
	}
	consts := map[string]int{
		"CodeParseError": CodeParseError, "CodeInvalidRequest": CodeInvalidRequest,
		"CodeUnknownMethod": CodeUnknownMethod, "CodeInvalidParams": CodeInvalidParams,
		"CodeInternal": CodeInternal, "CodeNotAllowed": CodeNotAllowed,
		"CodeNotActive": CodeNotActive, "CodeUnsupportedVer": CodeUnsupportedVer,
		"CodeUnknownCallsign": CodeUnknownCallsign,
	}
	seen := map[int]bool{}
	for name, code := range consts {
		if _, ok := want[code]; !ok {
			t.Errorf("%s = %d is not a Thunder code", name, code)
		}
		seen[code] = true
	}
	for code, msg := range want {
		if !seen[code] {
			t.Errorf("no constant for code %d", code)
		}
		e := NewError(code)
		if e.Code != code || e.Message != msg {
			t.Errorf("NewError(%d) = %+v; want message %q", code, e, msg)
		}
		if s := e.Error(); !strings.Contains(s, e.Message) || !strings.Contains(s, strconv.Itoa(code)) {
			t.Errorf("Error() = %q; want the code and message in it", s)
		}
	}
}

func TestMarshalNotification(t *testing.T) {
	t.Parallel()
	params := map[string]string{"callsign": "Netflix", "state": "Activated", "reason": "Requested"}
	got, err := MarshalNotification("client.Controller.events.statechange", params)
	if err != nil {
		t.Fatalf("MarshalNotification: %v", err)
	}
	want := `{"jsonrpc":"2.0","method":"client.Controller.events.statechange","params":{"callsign":"Netflix","reason":"Requested","state":"Activated"}}`
	if string(got) != want {
		t.Errorf("MarshalNotification = %s; want %s", got, want)
	}
	m := decodeObject(t, got)
	if _, ok := m["id"]; ok {
		t.Errorf("a notification has an id member: %s", got)
	}
	if len(m) != 3 {
		t.Errorf("members = %d; want jsonrpc, method, params only: %s", len(m), got)
	}
}

func TestMarshalNotificationNilParams(t *testing.T) {
	t.Parallel()
	got, err := MarshalNotification("a.statechange", nil)
	if err != nil {
		t.Fatalf("MarshalNotification: %v", err)
	}
	if want := `{"jsonrpc":"2.0","method":"a.statechange","params":null}`; string(got) != want {
		t.Errorf("MarshalNotification = %s; want %s", got, want)
	}
}

func TestMarshalNotificationUnencodable(t *testing.T) {
	t.Parallel()
	got, err := MarshalNotification("a.statechange", make(chan int))
	if err == nil {
		t.Errorf("MarshalNotification(channel) = %s, nil; want an error", got)
	}
	if got != nil {
		t.Errorf("MarshalNotification(channel) returned bytes %s with the error", got)
	}
}

// encoding/json keeps the last of a member given twice and reads a lone
// surrogate as U+FFFD; Decode refuses both rather than act on what was not
// sent: invalid params naming the member when it is inside the params, an
// invalid request anywhere else.
func TestDecodeLooseJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		code       int
		id         *uint32
		words      []string
	}{
		{"duplicate in params", `{"jsonrpc":"2.0","id":3,"method":"Controller.1.register","params":{"event":"a","id":"x","event":"b"}}`,
			CodeInvalidParams, u32(3), []string{"event", "more than once"}},
		{"duplicate deep in params", `{"jsonrpc":"2.0","id":3,"method":"Netflix.1.exists","params":{"opts":{"a":[{"b":1,"b":2}]}}}`,
			CodeInvalidParams, u32(3), []string{"opts.a[0].b", "more than once"}},
		{"lone surrogate in params", `{"jsonrpc":"2.0","id":4,"method":"Netflix.1.exists","params":{"method":"factory\ud800Reset"}}`,
			CodeInvalidParams, u32(4), []string{"method", `\ud800`}},
		{"lone surrogate in array params", `{"jsonrpc":"2.0","id":4,"method":"Netflix.1.exists","params":["\udc00"]}`,
			CodeInvalidParams, u32(4), []string{"params[0]", "surrogate"}},
		{"not UTF-8 in params", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"Netflix.1.exists\",\"params\":{\"method\":\"\xff\"}}",
			CodeInvalidParams, u32(4), []string{"method", "UTF-8"}},
		{"duplicate method", `{"jsonrpc":"2.0","id":5,"method":"Netflix.1.exists","method":"Netflix.1.factoryReset"}`,
			CodeInvalidRequest, u32(5), nil},
		{"duplicate params", `{"jsonrpc":"2.0","id":5,"method":"Netflix.1.exists","params":{},"params":{"method":"x"}}`,
			CodeInvalidRequest, u32(5), nil},
		{"duplicate id", `{"jsonrpc":"2.0","id":1,"id":2,"method":"Netflix.1.exists"}`,
			CodeInvalidRequest, nil, nil},
		{"lone surrogate in the method", `{"jsonrpc":"2.0","id":6,"method":"Netflix.1.\ud800"}`,
			CodeInvalidRequest, u32(6), nil},
		{"lone surrogate in a member name", `{"jsonrpc":"2.0","id":6,"method":"Netflix.1.exists","\ud800":1}`,
			CodeInvalidRequest, u32(6), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := Decode([]byte(tt.body))
			if err == nil || err.Code != tt.code {
				t.Fatalf("Decode = %+v, %v; want code %d", req, err, tt.code)
			}
			var id *uint32
			if req != nil {
				id = req.ID
			}
			if !reflect.DeepEqual(id, tt.id) {
				t.Errorf("id = %v; want %v", id, tt.id)
			}
			if tt.code == CodeInvalidRequest && err.Message != NewError(CodeInvalidRequest).Message {
				t.Errorf("message = %q; want the standard one", err.Message)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Message, w) {
					t.Errorf("message %q does not name %q", err.Message, w)
				}
			}
		})
	}
	// A surrogate pair is a character, and a name may repeat in sibling
	// objects.
	req, err := Decode([]byte(`{"jsonrpc":"2.0","id":7,"method":"Netflix.1.exists","params":{"a":{"x":1},"b":{"x":"\ud83d\ude00"}}}`))
	if err != nil || req.Method != "Netflix.1.exists" {
		t.Fatalf("Decode = %+v, %v", req, err)
	}
}
