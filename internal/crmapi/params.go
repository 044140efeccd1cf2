package crmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/face"
	"carebridge/internal/netflix"
	"carebridge/internal/strict"
)

// params reads a method's parameters (a JSON object for POST, the query
// string for GET) with exact types. Every read removes the parameter; done
// refuses whatever is left, so a misspelt name is an error, not silently
// ignored. The first problem found is kept and reported.
type params struct {
	errs  *error
	path  string // "customer_address." for nested objects
	raw   map[string]json.RawMessage
	query bool // values came from a query string: numbers arrive as text
}

func newParams(raw map[string]json.RawMessage, query bool) *params {
	var err error
	return &params{errs: &err, raw: raw, query: query}
}

// bodyParams parses a POST body, which must be one JSON object.
func bodyParams(body []byte) (*params, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, carebridge.Errorf(carebridge.EINVALID, "The request body must be a JSON object; it is empty.")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "The request body is not a valid JSON object: %s.", jsonProblem(err))
	}
	if raw == nil { // the body was "null"
		return nil, carebridge.Errorf(carebridge.EINVALID, "The request body must be a JSON object.")
	}
	// The decoder keeps the last of a name given twice and reads a lone
	// surrogate as U+FFFD; either would act on something not sent.
	if err := strict.JSON(body); err != nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "%v.", err)
	}
	return newParams(raw, false), nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "it is a JSON " + te.Value
	}
	return err.Error()
}

// queryParams reads a raw query string. A pair that cannot be read (a
// malformed percent-escape) is refused rather than dropped, as is a
// parameter given twice.
func queryParams(rawQuery string) (*params, error) {
	q, err := strict.Query(rawQuery)
	if err != nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "%v.", err)
	}
	raw := make(map[string]json.RawMessage, len(q))
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, carebridge.Errorf(carebridge.EINVALID, "%s is given %d times; give it once.", k, len(vs))
		}
		b, _ := json.Marshal(vs[0])
		raw[k] = b
	}
	return newParams(raw, true), nil
}

func (p *params) fail(err error) {
	if *p.errs == nil {
		*p.errs = err
	}
}

func (p *params) err() error { return *p.errs }

func (p *params) invalid(name, format string, args ...any) {
	p.fail(carebridge.Errorf(carebridge.EINVALID, p.path+name+" "+format, args...))
}

// take removes and returns a parameter; absent and null are the same.
func (p *params) take(name string) (json.RawMessage, bool) {
	v, ok := p.raw[name]
	delete(p.raw, name)
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// string reads an optional string.
func (p *params) string(name string) string {
	v, ok := p.take(name)
	if !ok {
		return ""
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		p.invalid(name, "must be a string.")
		return ""
	}
	return s
}

// mandatory records a missing parameter of another type than string.
func (p *params) mandatory(name string, present bool) {
	if !present && p.err() == nil {
		p.fail(carebridge.Errorf(carebridge.EMISSING, "%s%s is mandatory.", p.path, name))
	}
}

// required reads a mandatory string; absent, null or "" is missing.
func (p *params) required(name string) string {
	s := p.string(name)
	if s == "" && p.err() == nil {
		p.fail(carebridge.Errorf(carebridge.EMISSING, "%s%s is mandatory.", p.path, name))
	}
	return s
}

// number returns the literal of a numeric parameter.
func (p *params) number(name string) (string, bool) {
	v, ok := p.take(name)
	if !ok {
		return "", false
	}
	if p.query {
		var s string
		json.Unmarshal(v, &s)
		return strings.TrimSpace(s), true
	}
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		p.invalid(name, "must be a number.")
		return "", false
	}
	return string(v), true
}

// int reads an optional integer (integral JSON numbers such as 100 or 1e2).
func (p *params) int(name string) *int64 {
	lit, ok := p.number(name)
	if !ok {
		return nil
	}
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
		return &n
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		p.invalid(name, "must be an integer.")
		return nil
	}
	n := int64(f)
	return &n
}

// float reads an optional number.
func (p *params) float(name string) *float64 {
	lit, ok := p.number(name)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		p.invalid(name, "must be a number.")
		return nil
	}
	return &f
}

// bool reads an optional boolean.
func (p *params) bool(name string) *bool {
	v, ok := p.take(name)
	if !ok {
		return nil
	}
	var b bool
	if json.Unmarshal(v, &b) != nil {
		p.invalid(name, "must be true or false.")
		return nil
	}
	return &b
}

// time reads an optional date (2006-01-02T15:04:05 in UTC, or RFC 3339).
func (p *params) time(name string) *time.Time {
	s := p.string(name)
	if s == "" {
		return nil
	}
	t, err := face.ParseTime(s)
	if err != nil {
		p.invalid(name, "%v.", err)
		return nil
	}
	return &t
}

// object reads an optional nested object.
func (p *params) object(name string) *params {
	v, ok := p.take(name)
	if !ok {
		return nil
	}
	var raw map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &raw) != nil {
		p.invalid(name, "must be an object.")
		return nil
	}
	return &params{errs: p.errs, path: p.path + name + ".", raw: raw}
}

var udfName = regexp.MustCompile(`^udf_(string|float|date)_([1-9][0-9]?)$`)

// udfs reads the user-defined fields an object allows.
func (p *params) udfs(limits netflix.UDFLimits) netflix.UDF {
	var u netflix.UDF
	for _, name := range p.names() {
		m := udfName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		max := map[string]int{"string": limits.Strings, "float": limits.Floats, "date": limits.Dates}[m[1]]
		if n > max {
			continue // left for done to report as unknown
		}
		if u == nil {
			u = netflix.UDF{}
		}
		switch m[1] {
		case "string":
			if s := p.string(name); s != "" {
				u[name] = s
			}
		case "float":
			if f := p.float(name); f != nil {
				u[name] = *f
			}
		case "date":
			if t := p.time(name); t != nil {
				u[name] = t.Format(face.TimeLayout)
			}
		}
	}
	if len(u) == 0 {
		return nil
	}
	return u
}

func (p *params) names() []string {
	names := make([]string, 0, len(p.raw))
	for k := range p.raw {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// close records a parameter of this object that nobody asked for. Call it
// on each nested object once all its fields are read.
func (p *params) close() {
	if names := p.names(); len(names) > 0 {
		p.fail(carebridge.Errorf(carebridge.EINVALID, "%s%s is not a parameter of this method.", p.path, names[0]))
	}
}

// done closes the top-level object and reports the first problem found.
func (p *params) done() error {
	p.close()
	return p.err()
}

// objects reads an optional array of objects; each element is read with
// the returned params, whose paths carry the index.
func (p *params) objects(name string) []*params {
	v, ok := p.take(name)
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &items) != nil {
		p.invalid(name, "must be an array of objects.")
		return nil
	}
	out := make([]*params, 0, len(items))
	for i, item := range items {
		var raw map[string]json.RawMessage
		if len(item) == 0 || item[0] != '{' || json.Unmarshal(item, &raw) != nil {
			p.invalid(fmt.Sprintf("%s[%d]", name, i), "must be an object.")
			return nil
		}
		out = append(out, &params{errs: p.errs, path: fmt.Sprintf("%s%s[%d].", p.path, name, i), raw: raw})
	}
	return out
}
