package rpcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"carebridge"
	"carebridge/docs"
	"carebridge/internal/demo"
	"carebridge/internal/jsonrpc"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// openRPCFull is the document with what the answers are checked against.
type openRPCFull struct {
	Methods []struct {
		Name   string `json:"name"`
		Params []struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"params"`
		Tags []struct {
			Ref string `json:"$ref"`
		} `json:"tags"`
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
var sampleParams = map[string]any{"callsign": "OCP", "event": "statechange", "id": "openrpc.events", "method": "versions",
	"query": "pci150", "customer": "pci150", "reason": "x", "validity_duration": 600}

// careSample is how a care method is called so that the demo answers a
// result: by a care agent of a role the table of roles admits, with params
// over sampleParams, after what brings the customer to a state the method
// starts from.
type careSample struct {
	role   carebridge.Role
	params map[string]any
	before func()
}

// Every method, called over a WebSocket with the params the document
// names, answers a result its schema allows or an error the document lists
// for it; the care methods, called by a care agent, answer a result; and
// each event arrives in the shape x-events gives.
func TestOpenRPCMatchesAnswers(t *testing.T) {
	e := setup(t)
	// A factory reset in the list brings the demo data back, so that the
	// care methods after it find the demo's customers.
	e.restoreDemo()
	var doc openRPCFull
	if err := json.Unmarshal(docs.OpenRPC, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	ws := e.dial("/jsonrpc")
	tokens := map[carebridge.Role]string{
		carebridge.RoleCare:       e.careLogin(demo.CareAgent),
		carebridge.RoleSupervisor: e.careLogin(demo.Supervisor),
	}
	sockets := map[carebridge.Role]*wsClient{}
	for role, token := range tokens {
		sockets[role] = e.dialURL(e.wsURL("/jsonrpc", token))
	}
	agent := tokens[carebridge.RoleCare]

	// Each care method moves a customer of its own, so that the order of
	// the document does not matter; a factory reset brings them all back.
	careSamples := map[string]careSample{
		"Netflix.1.find": {role: carebridge.RoleCare},
		// A customer with every part of the file: contact data with
		// user-defined fields, a settled charge with a local amount.
		"Netflix.1.customer": {role: carebridge.RoleCare, params: map[string]any{"customer": "openrpc-file"}, before: func() {
			e.crmCreate(map[string]any{"billing_system_customer_identifier": "openrpc-file", "channel": "WEB",
				"customer_first_name": "Ada", "customer_last_name": "Byron",
				"customer_address": map[string]any{"type": "HOME", "is_primary": true, "street_name": "Main", "floor": 2,
					"country_identifier": map[string]any{"two_character_code": "CY"},
					"udf_string_1":       "s", "udf_float_1": 1.5, "udf_date_1": "2017-02-01T20:13:34+02:00"},
				"customer_email": map[string]any{"type": "PERSONAL", "email_address": "ada@example.com", "udf_date_2": "2017-02-01T18:13:34"},
				"customer_phone": map[string]any{"type": "MOBILE", "number": "+357 99 000000", "country_identifier": map[string]any{"name": "Cyprus"}},
			})
			now := time.Now().UTC().Truncate(time.Second)
			if _, err := e.app.Netflix.Ingest(context.Background(), e.op.ID, []netflix.NewCharge{{PartnerChargeID: "openrpc-file",
				Customer: "openrpc-file", Amount: money.Amount{Minor: 599, Currency: "USD"}, LocalAmount: money.Amount{Minor: 550, Currency: "EUR"},
				PaidThroughDate: now, ReceivedOn: now}}, ""); err != nil {
				t.Fatal(err)
			}
			e.settleCharges()
		}},
		"Netflix.1.history": {role: carebridge.RoleCare},
		"Netflix.1.suspend": {role: carebridge.RoleCare, params: map[string]any{"customer": "1pci26"}},
		"Netflix.1.unsuspend": {role: carebridge.RoleCare, params: map[string]any{"customer": "1pci28"}, before: func() {
			e.callAs(agent, "Netflix.1.suspend", map[string]any{"customer": "1pci28", "reason": "x"}) // refused when suspended already
		}},
		"Netflix.1.reissueToken": {role: carebridge.RoleCare},
		"Netflix.1.cancel":       {role: carebridge.RoleSupervisor, params: map[string]any{"customer": "1pci30"}},
		// A charge left PENDING (this server runs no processor), so that
		// the oldest is a time and its age a number.
		"Netflix.1.overview": {role: carebridge.RoleSupervisor, before: func() {
			now := time.Now().UTC().Truncate(time.Second)
			if _, err := e.app.Netflix.Ingest(context.Background(), e.op.ID, []netflix.NewCharge{{PartnerChargeID: "openrpc-overview",
				Customer: "pci150", Amount: money.Amount{Minor: 599, Currency: "USD"}, PaidThroughDate: now, ReceivedOn: now}}, ""); err != nil {
				t.Fatal(err)
			}
		}},
	}

	for i, m := range doc.Methods {
		// Each method starts with every plugin active, whatever the one
		// before did.
		for _, callsign := range []string{"Netflix", "OCP", "CustomerCareOperations"} {
			e.must("Controller.1.activate", map[string]string{"callsign": callsign})
		}
		sample, care := careSamples[m.Name]
		for _, tag := range m.Tags {
			if !care && tag.Ref == "#/components/tags/care" {
				t.Errorf("%s is a care method without a sample call here", m.Name)
			}
		}
		var params any // none when the method documents none
		if len(m.Params) > 0 {
			named := map[string]any{}
			for _, p := range m.Params {
				// A param without a sample is sent anyway, so that a
				// name the method does not take is caught (-32602).
				v, ok := sample.params[p.Name]
				if !ok {
					v, ok = sampleParams[p.Name]
				}
				if !ok {
					v = "sample"
				} else if err := checkSchema(schemas, p.Schema, mustJSON(t, v)); err != nil {
					t.Errorf("%s: the sample %s %v does not fit the param's schema: %v", m.Name, p.Name, v, err)
				}
				named[p.Name] = v
			}
			params = named
		}
		caller := ws
		if care {
			caller = sockets[sample.role]
			if sample.before != nil {
				sample.before()
			}
		}
		a := roundTripSkippingEvents(t, caller, request(t, i+1, m.Name, params))
		if care && a.Error != nil {
			t.Errorf("%s by a care agent of role %s with %v: %s; want a result", m.Name, sample.role, params, a.Raw)
		}
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

	// Events: register as documented, with a credential the table of roles
	// admits, cause the event, and check what arrives.
	for _, callsign := range []string{"Netflix", "OCP", "CustomerCareOperations"} {
		e.must("Controller.1.activate", map[string]string{"callsign": callsign})
	}
	ctx := context.Background()
	billing := carebridge.Caller{Username: demo.Username, OperatorID: e.op.ID, OrganisationID: e.op.OrganisationID}
	causes := map[string]struct {
		ws    *wsClient
		cause func()
		count int // notifications the cause makes
	}{
		"statechange": {ws, func() { e.must("Controller.1.deactivate", map[string]string{"callsign": "OCP"}) }, 1},
		// A create as the CRM.COM face makes it (no reason), then a care
		// agent's suspend (a reason).
		"subscriptionchange": {sockets[carebridge.RoleCare], func() {
			if _, err := e.app.Netflix.Create(ctx, billing, netflix.CreateRequest{Customer: "openrpc-events", Channel: "OTHER"}); err != nil {
				t.Fatal(err)
			}
			if a := e.callAs(agent, "Netflix.1.suspend", map[string]any{"customer": "openrpc-events", "reason": "x"}); a.Error != nil {
				t.Fatalf("suspend: %s", a.Raw)
			}
		}, 2},
		"chargechange": {sockets[carebridge.RoleCare], func() {
			now := time.Now().UTC().Truncate(time.Second)
			if _, err := e.app.Netflix.Ingest(ctx, e.op.ID, []netflix.NewCharge{{PartnerChargeID: "openrpc-events", Customer: "pci150",
				Amount: money.Amount{Minor: 599, Currency: "USD"}, PaidThroughDate: now, ReceivedOn: now}}, ""); err != nil {
				t.Fatal(err)
			}
		}, 1},
	}
	for _, ev := range doc.Events {
		c, ok := causes[ev.Name]
		if !ok {
			t.Errorf("%s: no cause of the event here", ev.Name)
			continue
		}
		c.ws.roundTrip(request(t, 1000, ev.Register, map[string]string{"event": ev.Name, "id": "doc"})).isResult(t, "1000", "null")
		c.cause()
		for range c.count {
			var n struct {
				Method string          `json:"method"`
				Params json.RawMessage `json:"params"`
			}
			if err := json.Unmarshal(c.ws.next(), &n); err != nil || n.Method != "doc."+ev.Name {
				t.Fatalf("%s: want the notification doc.%s, got %+v (%v)", ev.Name, ev.Name, n, err)
			}
			if err := checkSchema(schemas, ev.Params, n.Params); err != nil {
				t.Errorf("%s: params %s do not fit the documented schema: %v", ev.Name, n.Params, err)
			}
		}
	}
}

// careLogin opens a care session of a demo user (whose password is the
// user's name) and returns its token.
func (e *env) careLogin(user string) string {
	e.t.Helper()
	body := mustJSON(e.t, map[string]string{"organisation": demo.Organisation, "username": user, "password": user})
	r := e.send(http.MethodPost, "/care/login", "", bytes.NewReader(body))
	var s struct{ Token string }
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &s) != nil || s.Token == "" {
		e.t.Fatalf("care login %s: HTTP %d %s", user, r.Status, r.Body)
	}
	return s.Token
}

// callAs calls a method over HTTP with token and decodes the answer.
func (e *env) callAs(token, method string, params any) answer {
	e.t.Helper()
	r := e.send(http.MethodPost, "/jsonrpc", "Bearer "+token, strings.NewReader(request(e.t, 1, method, params)))
	if r.Status != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d %s", method, r.Status, r.Body)
	}
	return parseAnswer(e.t, r.Body)
}

// crmCreate creates a subscription through the CRM.COM face, as the demo
// user.
func (e *env) crmCreate(params map[string]any) {
	e.t.Helper()
	login := fmt.Sprintf(`{"organisation":%q,"username":%q,"password":%q}`, demo.Organisation, demo.Username, demo.Password)
	r := e.send(http.MethodPost, "/crmapi/rest/v2/authentication/token", "", strings.NewReader(login))
	if r.Status != http.StatusOK {
		e.t.Fatalf("CRM.COM login: HTTP %d %s", r.Status, r.Body)
	}
	params["token"] = crmTokenOf(e.t, r.Body)
	r = e.send(http.MethodPost, "/crmapi/rest/v2/netflix/subscriptions/create", "", bytes.NewReader(mustJSON(e.t, params)))
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"code":"OK"`) {
		e.t.Fatalf("subscriptions/create: HTTP %d %s", r.Status, r.Body)
	}
}

// settleCharges settles every PENDING charge, as the server's processor
// would (this server runs none).
func (e *env) settleCharges() {
	e.t.Helper()
	if _, err := e.app.Processor.Drain(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
// patternProperties, additionalProperties false, items, maxItems,
// minLength, maxLength, pattern, minimum and maximum.
func checkSchema(schemas map[string]json.RawMessage, schema, value json.RawMessage) error {
	var s struct {
		Ref                  string                     `json:"$ref"`
		Type                 string                     `json:"type"`
		Enum                 []json.RawMessage          `json:"enum"`
		OneOf                []json.RawMessage          `json:"oneOf"`
		Required             []string                   `json:"required"`
		Properties           map[string]json.RawMessage `json:"properties"`
		PatternProperties    map[string]json.RawMessage `json:"patternProperties"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Items                json.RawMessage            `json:"items"`
		MaxItems             *int                       `json:"maxItems"`
		MinLength            *int                       `json:"minLength"`
		MaxLength            *int                       `json:"maxLength"`
		Pattern              string                     `json:"pattern"`
		Minimum              *int64                     `json:"minimum"`
		Maximum              *int64                     `json:"maximum"`
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
		if s.Maximum != nil && i > *s.Maximum {
			return fmt.Errorf("%d is above %d", i, *s.Maximum)
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%s is not a number", value)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string", value)
		}
		if n := utf8.RuneCountInString(str); s.MinLength != nil && n < *s.MinLength || s.MaxLength != nil && n > *s.MaxLength {
			return fmt.Errorf("%s has a length out of bounds", value)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			return fmt.Errorf("%s does not match %s", value, s.Pattern)
		}
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(value, &items); err != nil || v == nil {
			return fmt.Errorf("%s is not an array", value)
		}
		if s.MaxItems != nil && len(items) > *s.MaxItems {
			return fmt.Errorf("%s has more than %d items", value, *s.MaxItems)
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
			for pattern, schema := range s.PatternProperties {
				if !ok && regexp.MustCompile(pattern).MatchString(name) {
					sub, ok = schema, true
				}
			}
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
