package crmapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"carebridge"
)

// fieldsSet is a parsed fields_set: the top-level fields a caller wants of
// each returned object. Empty means all.
type fieldsSet []string

func parseFieldsSet(s string) fieldsSet {
	var fs fieldsSet
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// jsonFields returns the JSON names of a struct type's fields, in order.
var jsonFieldsCache sync.Map // reflect.Type → []string

func jsonFields(t reflect.Type) []string {
	if v, ok := jsonFieldsCache.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	jsonFieldsCache.Store(t, names)
	return names
}

// apply restricts v — a struct or a slice of structs — to the requested
// fields, keeping the struct's field order. A name that is not a field of
// the returned objects is refused.
func (fs fieldsSet) apply(v any) (any, error) {
	if len(fs) == 0 {
		return v, nil
	}
	rv := reflect.ValueOf(v)
	elem := rv.Type()
	if elem.Kind() == reflect.Slice {
		elem = elem.Elem()
	}
	known := jsonFields(elem)
	want := map[string]bool{}
	for _, f := range fs {
		if !contains(known, f) {
			return nil, carebridge.Errorf(carebridge.EINVALID,
				"fields_set names %q, which is not a field of the result; the fields are %s.", f, strings.Join(known, ", "))
		}
		want[f] = true
	}
	pick := func(item any) (json.RawMessage, error) {
		b, err := json.Marshal(item)
		if err != nil {
			return nil, err
		}
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return nil, err
		}
		var out bytes.Buffer
		out.WriteByte('{')
		for _, name := range known {
			if !want[name] {
				continue
			}
			if out.Len() > 1 {
				out.WriteByte(',')
			}
			k, _ := json.Marshal(name)
			out.Write(k)
			out.WriteByte(':')
			if v, ok := all[name]; ok {
				out.Write(v)
			} else {
				out.WriteString("null") // an omitempty field that was empty
			}
		}
		out.WriteByte('}')
		return out.Bytes(), nil
	}
	if rv.Kind() != reflect.Slice {
		return pick(v)
	}
	items := make([]json.RawMessage, rv.Len())
	for i := range items {
		var err error
		if items[i], err = pick(rv.Index(i).Interface()); err != nil {
			return nil, err
		}
	}
	return items, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
