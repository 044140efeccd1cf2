package strict

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestJSONRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in       string
		path, member   string
		reasonContains string
	}{
		{"lone high surrogate", `{"name":"\ud800"}`, "name", "name", `lone UTF-16 surrogate \ud800`},
		{"lone low surrogate", `{"name":"a\uDC00b"}`, "name", "name", `lone UTF-16 surrogate \udc00`},
		{"high then high", `{"name":"\ud800\ud800\udc00"}`, "name", "name", `\ud800`},
		{"high then other escape", `{"name":"\ud800\u0041"}`, "name", "name", `\ud800`},
		{"high at the end", `"\ud83d"`, "", "", `\ud83d`},
		{"surrogate in a name", `{"a\udfff":1}`, "a\uFFFD", "a\uFFFD", "member name that holds a lone UTF-16 surrogate"},
		{"surrogate deep", `{"a":{"b":[1,{"c":"\ud800"}]}}`, "a.b[1].c", "a", "lone"},
		{"surrogate in a top-level array", `["x","\udbff"]`, "[1]", "", "lone"},
		{"duplicate", `{"a":1,"a":2}`, "a", "a", "is given more than once"},
		{"duplicate after unescaping", `{"a":1,"\u0061":2}`, "a", "a", "more than once"},
		{"duplicate nested", `{"x":{"type":"a","type":"b"}}`, "x.type", "x", "more than once"},
		{"duplicate in an array item", `{"charges":[{"id":1},{"id":1,"id":2}]}`, "charges[1].id", "charges", "more than once"},
		{"duplicate in a large object", `{` + manyMembers(40) + `,"m7":0}`, "m7", "m7", "more than once"},
		{"bytes that are not UTF-8", "{\"name\":\"a\xffb\"}", "name", "name", "not valid UTF-8"},
		{"encoded surrogate bytes", "{\"name\":\"\xed\xa0\x80\"}", "name", "name", "not valid UTF-8"},
		{"name not UTF-8", "{\"a\xff\":1}", "a\uFFFD", "a\uFFFD", "member name that is not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !json.Valid([]byte(tc.in)) && !strings.Contains(tc.reasonContains, "UTF-8") {
				t.Fatalf("test input %s is not JSON", tc.in)
			}
			err := JSON([]byte(tc.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("JSON(%s) = %v, want an *Error", tc.in, err)
			}
			if e.Path != tc.path || e.Member != tc.member || !strings.Contains(e.Reason, tc.reasonContains) {
				t.Errorf("JSON(%s) = {%q %q %q}, want path %q, member %q, reason with %q", tc.in, e.Path, e.Member, e.Reason, tc.path, tc.member, tc.reasonContains)
			}
		})
	}
}

func manyMembers(n int) string {
	members := make([]string, n)
	for i := range members {
		members[i] = `"m` + strconv.Itoa(i) + `":0`
	}
	return strings.Join(members, ",")
}

func TestJSONAccepts(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `null`, `true`, ` 0 `, `-1.5e+10`, `""`,
		`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`,
		`{"pair":"\ud83d\ude00","PAIR":"\uD83D\uDE00","bmp":"\u00e9\ufffd","raw":"é😀"}`,
		`{"escapes":"\"\\\/\b\f\n\r\t"}`,
		`{"A":1,"a":2}`,
		`{` + manyMembers(40) + `}`,
		strings.Repeat("[", 500) + strings.Repeat("]", 500),
	} {
		if err := JSON([]byte(in)); err != nil {
			t.Errorf("JSON(%.80s) = %v, want nil", in, err)
		}
	}
}

func TestJSONMalformed(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `"\x"`, `"\u12"`, "\"a\nb\"", `01`, `1.`, `tru`, `{} x`, `"abc`} {
		if err := JSON([]byte(in)); err == nil {
			t.Errorf("JSON(%q) = nil, want a syntax error", in)
		}
	}
}

// FuzzJSON checks JSON against encoding/json: it never panics, refuses
// what is not JSON, and for JSON it accepts, decoding loses nothing (no
// member dropped for a duplicate, no character replaced with U+FFFD that
// was not sent).
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}`, `{"a":1,"a":2}`, `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`, `["\udc00"]`,
		`{"a":{"b":[{"c":1,"c":2}]}}`, `{"a":1,"\u0061":2}`, "{\"a\":\"\xff\"}", `{"\ufffd":1}`,
		`{"x":"\uFFFD"}`, "\"\xef\xbf\xbd\"", `[1,2.5e3,-0,true,false,null]`, `{"a":[]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := JSON(data)
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("JSON accepted %q, which is not JSON", data)
			}
			return
		}
		dupes := hasDuplicate(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("JSON(%q) = %T", data, err)
			}
			if strings.Contains(e.Reason, "not valid JSON") {
				t.Fatalf("JSON(%q) = %v, but encoding/json reads it", data, err)
			}
			if strings.Contains(e.Reason, "more than once") && !dupes {
				t.Fatalf("JSON(%q) reports a duplicate encoding/json does not see", data)
			}
			return
		}
		if dupes {
			t.Fatalf("JSON accepted %q, which has a duplicate member", data)
		}
		v := decode(t, data)
		if strings.ContainsRune(collect(v), '\uFFFD') && !bytes.Contains(data, []byte("\xef\xbf\xbd")) &&
			!bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
			t.Fatalf("JSON accepted %q, which decodes with U+FFFD it does not hold", data)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := JSON(again); err != nil {
			t.Fatalf("JSON refused encoding/json's own %q: %v", again, err)
		}
		if w := decode(t, again); !reflect.DeepEqual(v, w) {
			t.Fatalf("round trip of %q differs", data)
		}
	})
}

// decode reads JSON keeping numbers as written, so that no number is
// too large to read.
func decode(t *testing.T, data []byte) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

type level struct {
	object bool
	names  map[string]bool
	key    bool // the next string token is a name
}

// hasDuplicate walks tokens with encoding/json and tells whether an
// object names a member twice (names as decoded).
func hasDuplicate(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			name := tok.(string)
			if top.names[name] {
				return true
			}
			top.names[name] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, names: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &level{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			markValue(stack)
		default:
			markValue(stack)
		}
	}
}

// markValue records that a member's value was read: a name comes next.
func markValue(stack []*level) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].key = true
	}
}

// collect joins every string of a decoded value, names included.
func collect(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				b.WriteString(k)
				walk(x)
			}
		}
	}
	walk(v)
	return b.String()
}
