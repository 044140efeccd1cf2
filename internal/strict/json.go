// Package strict refuses input that Go's decoders accept but read
// loosely. encoding/json turns a lone UTF-16 surrogate escape (\ud800) or
// bytes that are not UTF-8 into U+FFFD, and keeps the last of two members
// with the same name; r.URL.Query() drops a pair whose percent-escape is
// malformed. Each face checks its raw input here before decoding it, so
// every face refuses the same things and names the parameter at fault.
package strict

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Error names the member or parameter at fault and says why.
type Error struct {
	// Path names the member the way the faces name parameters:
	// customer_address.type, charges[2].amount; "" is the whole value.
	Path string
	// Member is the top-level member the fault is in, or "" when the
	// whole value is at fault or is not an object.
	Member string
	// Reason completes a sentence whose subject is Path:
	// "is given more than once".
	Reason string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "the value " + e.Reason
	}
	return e.Path + " " + e.Reason
}

// MaxDepth is encoding/json's own nesting limit, so that nothing it reads
// is refused here for depth.
const MaxDepth = 10000

// JSON checks one JSON value for what encoding/json would read loosely:
// a member name given twice in an object, at any depth (names compared
// after unescaping, as the decoder compares them); a \uD800–\uDFFF escape
// that is not half of a surrogate pair; and bytes that are not UTF-8, in
// names and in strings. The first fault in document order is returned
// as an *Error. Callers decode the value as well and report malformed
// JSON their own way; JSON refuses what it cannot scan but is not meant
// as a syntax check.
func JSON(data []byte) error {
	s := &scanner{data: data}
	s.space()
	if s.value(0) {
		s.space()
		if s.i != len(s.data) {
			s.syntax()
		}
	}
	if s.err != nil {
		return s.err
	}
	return nil
}

// frame is one step of the path to the value being scanned.
type frame struct {
	key   []byte
	index int // -1 for a member
}

// scanner keeps the names of every open object on one stack, so that
// checking a report of many small objects allocates next to nothing.
type scanner struct {
	data  []byte
	i     int
	stack []frame
	names [][]byte // the names read so far of each open object, innermost last
	err   *Error
}

func (s *scanner) fail(reason string) bool {
	var b strings.Builder
	for n, f := range s.stack {
		if f.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.index))
			b.WriteByte(']')
			continue
		}
		if n > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.ToValidUTF8(string(f.key), "\uFFFD"))
	}
	s.err = &Error{Path: b.String(), Reason: reason}
	if len(s.stack) > 0 && s.stack[0].index < 0 {
		s.err.Member = strings.ToValidUTF8(string(s.stack[0].key), "\uFFFD")
	}
	return false
}

func (s *scanner) syntax() bool {
	s.stack = s.stack[:0]
	return s.fail("is not valid JSON (at byte " + strconv.Itoa(s.i) + ")")
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) bool {
	if depth >= MaxDepth {
		return s.fail("nests more than " + strconv.Itoa(MaxDepth) + " levels deep")
	}
	if s.i >= len(s.data) {
		return s.syntax()
	}
	switch c := s.data[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, fault, ok := s.str(false)
		if !ok {
			return s.syntax()
		}
		if fault != "" {
			return s.fail(fault)
		}
		return true
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.syntax()
}

func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.data[s.i:], []byte(word)) {
		return s.syntax()
	}
	s.i += len(word)
	return true
}

// number skips a number by JSON's grammar.
func (s *scanner) number() bool {
	digits := func() int {
		n := 0
		for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.data[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.data) && s.data[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return s.syntax()
	}
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.syntax()
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.syntax()
		}
	}
	return true
}

// smallObject is how many names are compared one by one before a map
// pays for itself.
const smallObject = 16

func (s *scanner) object(depth int) bool {
	s.i++
	s.space()
	if s.i < len(s.data) && s.data[s.i] == '}' {
		s.i++
		return true
	}
	first := len(s.names)
	defer func() { s.names = s.names[:first] }()
	var seen map[string]bool
	for {
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return s.syntax()
		}
		name, fault, ok := s.str(true)
		if !ok {
			return s.syntax()
		}
		s.stack = append(s.stack, frame{key: name, index: -1})
		if fault != "" {
			return s.fail("is a member name that " + fault)
		}
		dup := false
		if seen != nil {
			dup = seen[string(name)]
			seen[string(name)] = true
		} else {
			for _, n := range s.names[first:] {
				dup = dup || bytes.Equal(n, name)
			}
			s.names = append(s.names, name)
			if len(s.names)-first > smallObject {
				seen = make(map[string]bool, 2*smallObject)
				for _, n := range s.names[first:] {
					seen[string(n)] = true
				}
			}
		}
		if dup {
			return s.fail("is given more than once")
		}
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return s.syntax()
		}
		s.i++
		s.space()
		if !s.value(depth + 1) {
			return false
		}
		s.stack = s.stack[:len(s.stack)-1]
		s.space()
		if s.i >= len(s.data) {
			return s.syntax()
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			s.space()
		case '}':
			s.i++
			return true
		default:
			return s.syntax()
		}
	}
}

func (s *scanner) array(depth int) bool {
	s.i++
	s.space()
	if s.i < len(s.data) && s.data[s.i] == ']' {
		s.i++
		return true
	}
	for n := 0; ; n++ {
		s.stack = append(s.stack, frame{index: n})
		if !s.value(depth + 1) {
			return false
		}
		s.stack = s.stack[:len(s.stack)-1]
		s.space()
		if s.i >= len(s.data) {
			return s.syntax()
		}
		switch s.data[s.i] {
		case ',':
			s.i++
			s.space()
		case ']':
			s.i++
			return true
		default:
			return s.syntax()
		}
	}
}

// str reads the string that starts at s.i. It returns the decoded text
// when want is set (a lone surrogate and bad bytes decode to U+FFFD, as
// encoding/json decodes them), the first fault found in it as a phrase
// ("holds a lone UTF-16 surrogate …"), and false when the string is
// malformed.
func (s *scanner) str(want bool) (text []byte, fault string, ok bool) {
	s.i++
	start := s.i
	var buf []byte // the decoded text once an escape makes it differ from the source
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			if want {
				text = buf
				if text == nil {
					text = s.data[start:s.i:s.i]
				}
			}
			s.i++
			return text, fault, true
		case c == '\\':
			if want && buf == nil {
				buf = append([]byte(nil), s.data[start:s.i]...)
			}
			r, ok := s.escape()
			if !ok {
				return nil, "", false
			}
			if r < 0 {
				if fault == "" {
					fault = "holds a lone UTF-16 surrogate \\u" + strconv.FormatInt(int64(-r), 16) + ", which is not a character"
				}
				r = utf8.RuneError
			}
			if want {
				buf = utf8.AppendRune(buf, r)
			}
		case c < 0x20:
			return nil, "", false
		case c < utf8.RuneSelf:
			if buf != nil {
				buf = append(buf, c)
			}
			s.i++
		default:
			r, size := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && size == 1 && fault == "" {
				fault = "is not valid UTF-8"
			}
			if buf != nil {
				buf = utf8.AppendRune(buf, r)
			}
			s.i += size
		}
	}
	return nil, "", false
}

// escape reads the escape at s.i and returns its character. A lone
// surrogate comes back negated, so the caller can name it.
func (s *scanner) escape() (rune, bool) {
	if s.i+1 >= len(s.data) {
		return 0, false
	}
	c := s.data[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'u':
	default:
		return 0, false
	}
	r, ok := s.hex4(s.i)
	if !ok {
		return 0, false
	}
	s.i += 4
	if !utf16.IsSurrogate(r) {
		return r, true
	}
	if r < 0xDC00 && s.i+1 < len(s.data) && s.data[s.i] == '\\' && s.data[s.i+1] == 'u' {
		if low, ok := s.hex4(s.i + 2); ok && low >= 0xDC00 && low <= 0xDFFF {
			s.i += 6
			return utf16.DecodeRune(r, low), true
		}
	}
	return -r, true
}

// hex4 reads four hex digits at i.
func (s *scanner) hex4(i int) (rune, bool) {
	if i+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
