// Package jsonrpc is a JSON-RPC 2.0 codec and dispatcher with Thunder's
// conventions: designators "<callsign>.<version>.<method>[@<index>]",
// numeric ids, and Thunder's error codes. It knows no transport.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"carebridge/internal/strict"
)

// Error codes and messages, as Thunder answers them.
const (
	CodeParseError      = -32700
	CodeInvalidRequest  = -32600
	CodeUnknownMethod   = -32601
	CodeInvalidParams   = -32602
	CodeInternal        = -32603
	CodeNotAllowed      = -32604
	CodeNotActive       = -31002
	CodeUnsupportedVer  = -31038
	CodeUnknownCallsign = -31043
	// Thunder's core error codes that a plugin's method answers with.
	CodeIllegalState = 5  // ERROR_ILLEGAL_STATE: the state forbids it
	CodeUnknownKey   = 22 // ERROR_UNKNOWN_KEY: no such thing
)

var messages = map[int]string{
	CodeParseError:      "Parse error.",
	CodeInvalidRequest:  "Invalid request.",
	CodeUnknownMethod:   "Unknown method.",
	CodeInvalidParams:   "Invalid parameters.",
	CodeInternal:        "Internal error.",
	CodeNotAllowed:      "Method invocation not allowed.",
	CodeNotActive:       "The service is not active.",
	CodeUnsupportedVer:  "Requested version is not supported.",
	CodeUnknownCallsign: "The service is not available.",
	CodeIllegalState:    "Illegal state.",
	CodeUnknownKey:      "Unknown key.",
}

// Error is a JSON-RPC error object.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return "jsonrpc: " + strconv.Itoa(e.Code) + " " + e.Message }

// NewError returns the error with the standard message for code.
func NewError(code int) *Error { return &Error{Code: code, Message: messages[code]} }

// Request is a decoded request. ID is nil for a notification.
type Request struct {
	ID     *uint32
	Method string
	Params json.RawMessage // nil when absent
}

// Notification reports whether the request expects no answer.
func (r *Request) Notification() bool { return r.ID == nil }

// Decode reads one request. A body that is not JSON is a parse error; JSON
// that is not a request object (an array, a wrong "jsonrpc", an id that is
// not a non-negative integer — null included —, a method that is not a
// string, a member given twice, a lone surrogate) is an invalid request,
// and a member given twice or a lone surrogate inside the params is invalid
// params naming the member. When the error is not a parse error, the id is
// returned if it could be read, so the answer can carry it.
func Decode(body []byte) (*Request, *Error) {
	if !json.Valid(body) {
		return nil, NewError(CodeParseError)
	}
	// Only JSON's own whitespace may surround the value (json.Valid has
	// checked that); members are read from a map so that their names match
	// exactly, as JSON-RPC requires ("ID" is not "id").
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, NewError(CodeInvalidRequest)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, NewError(CodeInvalidRequest)
	}
	// The decoder keeps the last of a member given twice and reads a lone
	// surrogate or bytes that are not UTF-8 as U+FFFD. In the params that
	// is invalid params, named; anywhere else the request is invalid.
	var loose *strict.Error
	errors.As(strict.JSON(body), &loose)
	inParams := loose != nil && loose.Member == "params" && loose.Path != "params"
	req := &Request{}
	// Only a request without an id is a notification (JSON-RPC 2.0 §4); a
	// null id is a request, and Thunder's ids are numbers. An id given
	// twice is not read: either could be the one meant.
	if raw, ok := members["id"]; ok && (loose == nil || loose.Member != "id") {
		id, err := strconv.ParseUint(string(raw), 10, 32)
		if err != nil {
			return nil, NewError(CodeInvalidRequest)
		}
		v := uint32(id)
		req.ID = &v
	}
	if loose != nil && !inParams {
		return req, NewError(CodeInvalidRequest)
	}
	var version string
	if v := members["jsonrpc"]; len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &version) != nil || version != "2.0" {
		return req, NewError(CodeInvalidRequest)
	}
	method := members["method"]
	if len(method) == 0 || method[0] != '"' || json.Unmarshal(method, &req.Method) != nil || req.Method == "" {
		return req, NewError(CodeInvalidRequest)
	}
	if params, ok := members["params"]; ok && string(params) != "null" {
		req.Params = params
	}
	if inParams {
		// Named as the other invalid params are: by the member's path
		// within the params.
		name := strings.TrimPrefix(strings.TrimPrefix(loose.Path, "params"), ".")
		if strings.HasPrefix(name, "[") {
			name = loose.Path
		}
		return req, &Error{Code: CodeInvalidParams, Message: name + " " + loose.Reason + "."}
	}
	return req, nil
}

// Response is what goes back for a request with an id.
type Response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      *uint32         `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// MarshalResponse encodes the answer to a request: result (nil encodes as
// null) or err.
func MarshalResponse(id *uint32, result any, err *Error) []byte {
	r := Response{JSONRPC: "2.0", ID: id, Error: err}
	if err == nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			r.Error = NewError(CodeInternal)
		} else {
			r.Result = b
		}
	}
	out, _ := json.Marshal(r)
	return out
}

// Notification is a server-pushed event: {"jsonrpc","method","params"}.
func MarshalNotification(method string, params any) ([]byte, error) {
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params"`
	}{"2.0", method, p})
}

// Designator is a parsed method name.
type Designator struct {
	Callsign string
	Version  int // 0 when not given
	Method   string
	Index    string // after '@'; "" when not given
}

// ParseDesignator reads "<callsign>.<version>.<method>[@<index>]", the
// version being optional. When pathCallsign is set (the request came to
// /jsonrpc/<callsign>), the designator may omit the callsign.
func ParseDesignator(s, pathCallsign string) (Designator, bool) {
	var d Designator
	name, index, hasIndex := strings.Cut(s, "@")
	if hasIndex {
		if index == "" {
			return d, false
		}
		d.Index = index
	}
	parts := strings.Split(name, ".")
	for _, p := range parts {
		if p == "" {
			return d, false
		}
	}
	isVersion := func(p string) bool {
		v, err := strconv.Atoi(p)
		return err == nil && v > 0 && strconv.Itoa(v) == p
	}
	switch {
	case len(parts) == 3 && isVersion(parts[1]):
		d.Callsign, d.Method = parts[0], parts[2]
		d.Version, _ = strconv.Atoi(parts[1])
	case len(parts) == 2 && pathCallsign != "" && isVersion(parts[0]):
		d.Callsign, d.Method = pathCallsign, parts[1]
		d.Version, _ = strconv.Atoi(parts[0])
	case len(parts) == 2 && !isVersion(parts[1]):
		d.Callsign, d.Method = parts[0], parts[1]
	case len(parts) == 1 && pathCallsign != "":
		d.Callsign, d.Method = pathCallsign, parts[0]
	default:
		return d, false
	}
	if pathCallsign != "" && d.Callsign != pathCallsign {
		return d, false
	}
	return d, true
}
