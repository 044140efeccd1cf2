package jsonrpc

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"carebridge/docs"
)

type docError struct {
	Ref     string `json:"$ref"`
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// The OpenRPC document's errors are the ones this package answers, with
// the same messages, and every code it answers is in the document.
func TestOpenRPCErrors(t *testing.T) {
	var doc struct {
		Methods []struct {
			Name   string          `json:"name"`
			Errors []docError      `json:"errors"`
			Result json.RawMessage `json:"result"`
		} `json:"methods"`
		Components struct {
			Errors map[string]docError `json:"errors"`
		} `json:"components"`
	}
	if err := json.Unmarshal(docs.OpenRPC, &doc); err != nil {
		t.Fatal(err)
	}
	known := map[int]string{CodeFailedRegistered: errFailedRegistered.Message}
	for code, msg := range messages {
		known[code] = msg
	}
	check := func(where string, e docError) {
		if e.Code == nil {
			t.Errorf("%s: an error without a code", where)
			return
		}
		msg, ok := known[*e.Code]
		if !ok {
			t.Errorf("%s: error code %d is not one this package answers", where, *e.Code)
		} else if e.Message != msg {
			t.Errorf("%s: error %d has message %q, want %q", where, *e.Code, e.Message, msg)
		}
	}
	documented := map[int]bool{}
	for name, e := range doc.Components.Errors {
		check("components.errors."+name, e)
		if e.Code != nil {
			documented[*e.Code] = true
		}
	}
	for _, m := range doc.Methods {
		for _, e := range m.Errors {
			if e.Ref == "" {
				check(m.Name, e)
				if e.Code != nil {
					documented[*e.Code] = true
				}
				continue
			}
			name, ok := strings.CutPrefix(e.Ref, "#/components/errors/")
			if _, found := doc.Components.Errors[name]; !ok || !found {
				t.Errorf("%s: %s names no error of components.errors", m.Name, e.Ref)
			}
		}
	}
	for code := range known {
		if !documented[code] {
			t.Errorf("error %d (%s) is answered but not in the document", code, known[code])
		}
	}

	// exists in its older form answers a code, not an error: the
	// document gives it in the result's schema.
	for _, m := range doc.Methods {
		if !strings.HasSuffix(m.Name, ".exists") {
			continue
		}
		var result struct {
			Schema struct {
				OneOf []struct {
					Type string `json:"type"`
					Enum []int  `json:"enum"`
				} `json:"oneOf"`
			} `json:"schema"`
		}
		if err := json.Unmarshal(m.Result, &result); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		found := false
		for _, s := range result.Schema.OneOf {
			found = found || s.Type == "integer" && slices.Contains(s.Enum, CodeUnknownKey) && slices.Contains(s.Enum, 0)
		}
		if !found {
			t.Errorf("%s: the result's schema does not give the older form's 0 and %d", m.Name, CodeUnknownKey)
		}
	}
}

// Served lists every callsign with its own methods and the built-ins,
// which is what the OpenRPC test compares the document with.
func TestServedListsBuiltins(t *testing.T) {
	d := NewDispatcher(nil)
	d.Add(&Plugin{Callsign: "B", Versions: []int{1, 2}, Methods: map[string]Handler{"zeta": nil, "alpha": nil}, Events: []string{"changed"}})
	d.Add(&Plugin{Callsign: "A", Versions: []int{1}, Methods: map[string]Handler{"exists": nil}})
	got := d.Served()
	want := []Served{
		{Callsign: "A", Versions: []int{1}, Methods: []string{"exists", "register", "unregister", "versions"}},
		{Callsign: "B", Versions: []int{1, 2}, Methods: []string{"alpha", "exists", "register", "unregister", "versions", "zeta"}, Events: []string{"changed"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Served() = %+v\nwant %+v", got, want)
	}
}
