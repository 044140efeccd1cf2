package rpcapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"carebridge/docs"
	"carebridge/internal/jsonrpc"
)

// openRPCFull is the document with what the answers are checked against.
type openRPCFull struct {
	Methods []struct {
		Name   string `json:"name"`
		Params []struct {
			Name string `json:"name"`
		} `json:"params"`
		Result struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"result"`
		Errors []struct {
			Ref string `json:"$ref"`
		} `json:"errors"`
	} `json:"methods"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
		Errors  map[string]struct {
			Code int `json:"code"`
		} `json:"errors"`
	} `json:"components"`
	Events []struct {
		Name     string          `json:"name"`
		Register string          `json:"register"`
		Params   json.RawMessage `json:"params"`
	} `json:"x-events"`
}

// sampleParams are values for the documented params that a demo server
// accepts.
var sampleParams = map[string]string{"callsign": "OCP", "event": "statechange", "id": "openrpc.events", "method": "versions"}

// Every method, called over a WebSocket with the params the document
// names, answers a result its schema allows or an error the document lists
// for it; and the event arrives in the shape x-events gives.
func TestOpenRPCMatchesAnswers(t *testing.T) {
	e := setup(t)
	var doc openRPCFull
	if err := json.Unmarshal(docs.OpenRPC, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	ws := e.dial("/jsonrpc")
	for i, m := range doc.Methods {
		// Each method starts with every plugin active, whatever the one
		// before did.
		for _, callsign := range []string{"Netflix", "OCP", "CustomerCareOperations"} {
			e.must("Controller.1.activate", map[string]string{"callsign": callsign})
		}
		var params any // none when the method documents none
		if len(m.Params) > 0 {
			named := map[string]string{}
			for _, p := range m.Params {
				// A param without a sample is sent anyway, so that a
				// name the method does not take is caught (-32602).
				v, ok := sampleParams[p.Name]
				if !ok {
					v = "sample"
				}
				named[p.Name] = v
			}
			params = named
		}
		a := roundTripSkippingEvents(t, ws, request(t, i+1, m.Name, params))
		if a.Error != nil {
			if a.Error.Code == jsonrpc.CodeInvalidParams || a.Error.Code == jsonrpc.CodeUnknownMethod {
				t.Errorf("%s with the documented params %v: %s", m.Name, params, a.Raw)
			}
			documented := false
			for _, r := range m.Errors {
				name := strings.TrimPrefix(r.Ref, "#/components/errors/")
				documented = documented || doc.Components.Errors[name].Code == a.Error.Code
			}
			if !documented {
				t.Errorf("%s answered error %d, which the document does not list for it: %s", m.Name, a.Error.Code, a.Raw)
			}
			continue
		}
		if err := checkSchema(schemas, m.Result.Schema, a.Result); err != nil {
			t.Errorf("%s: result %s does not fit its schema: %v", m.Name, a.Result, err)
		}
	}

	// Events: register as documented, cause one, and check what arrives.
	for _, ev := range doc.Events {
		ws.roundTrip(request(t, 1000, ev.Register, map[string]string{"event": ev.Name, "id": "doc"})).isResult(t, "1000", "null")
		e.must("Controller.1.deactivate", map[string]string{"callsign": "OCP"})
		var n struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(ws.next(), &n); err != nil || n.Method != "doc."+ev.Name {
			t.Fatalf("%s: want the notification doc.%s, got %+v (%v)", ev.Name, ev.Name, n, err)
		}
		if err := checkSchema(schemas, ev.Params, n.Params); err != nil {
			t.Errorf("%s: params %s do not fit the documented schema: %v", ev.Name, n.Params, err)
		}
	}
}

// roundTripSkippingEvents sends a request and returns its answer, passing
// over notifications that arrive first.
func roundTripSkippingEvents(t *testing.T, ws *wsClient, msg string) answer {
	t.Helper()
	ws.write(msg)
	for {
		raw := ws.next()
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err == nil {
			if _, isID := probe["id"]; !isID {
				continue
			}
		}
		return parseAnswer(t, raw)
	}
}

// checkSchema checks a value against the part of JSON Schema the document
// uses: $ref to its schemas, type, enum, oneOf, required, properties,
// additionalProperties false, items, minLength, maxLength and minimum.
func checkSchema(schemas map[string]json.RawMessage, schema, value json.RawMessage) error {
	var s struct {
		Ref                  string                     `json:"$ref"`
		Type                 string                     `json:"type"`
		Enum                 []json.RawMessage          `json:"enum"`
		OneOf                []json.RawMessage          `json:"oneOf"`
		Required             []string                   `json:"required"`
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Items                json.RawMessage            `json:"items"`
		MinLength            *int                       `json:"minLength"`
		MaxLength            *int                       `json:"maxLength"`
		Minimum              *int64                     `json:"minimum"`
	}
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("schema %s: %v", schema, err)
	}
	if s.Ref != "" {
		target, ok := schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		if !ok {
			return fmt.Errorf("%s names no schema", s.Ref)
		}
		return checkSchema(schemas, target, value)
	}
	if len(s.OneOf) > 0 {
		fits := 0
		for _, alt := range s.OneOf {
			if checkSchema(schemas, alt, value) == nil {
				fits++
			}
		}
		if fits != 1 {
			return fmt.Errorf("%s fits %d of oneOf's schemas, want 1", value, fits)
		}
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(x json.RawMessage) bool { return bytes.Equal(compactJSON(x), compactJSON(value)) }) {
		return fmt.Errorf("%s is not one of %s", value, s.Enum)
	}
	switch s.Type {
	case "":
	case "null":
		if v != nil {
			return fmt.Errorf("%s is not null", value)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s is not a boolean", value)
		}
	case "integer":
		n, ok := v.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return fmt.Errorf("%s is not an integer", value)
		}
		if s.Minimum != nil && i < *s.Minimum {
			return fmt.Errorf("%d is below %d", i, *s.Minimum)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string", value)
		}
		if s.MinLength != nil && len(str) < *s.MinLength || s.MaxLength != nil && len(str) > *s.MaxLength {
			return fmt.Errorf("%s has a length out of bounds", value)
		}
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(value, &items); err != nil || v == nil {
			return fmt.Errorf("%s is not an array", value)
		}
		for _, item := range items {
			if err := checkSchema(schemas, s.Items, item); err != nil {
				return err
			}
		}
	case "object":
		var members map[string]json.RawMessage
		if err := json.Unmarshal(value, &members); err != nil || v == nil {
			return fmt.Errorf("%s is not an object", value)
		}
		for _, name := range s.Required {
			if _, ok := members[name]; !ok {
				return fmt.Errorf("%s lacks %q", value, name)
			}
		}
		for name, member := range members {
			sub, ok := s.Properties[name]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					return fmt.Errorf("%s has %q, which the schema does not allow", value, name)
				}
				continue
			}
			if err := checkSchema(schemas, sub, member); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
	default:
		return fmt.Errorf("type %q is not checked here", s.Type)
	}
	return nil
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
