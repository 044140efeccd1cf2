package ocp

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"carebridge"
	"carebridge/internal/strict"
)

// A customer file is CSV with a header row, or a JSON array of objects.
// Both name the same fields: id, nsid and name are required; email,
// enrollment_level, canviewip, canaccessip, isrms, ocpservices and
// deviceSubsetStartTime are optional. Names match without regard to case.

// importColumns are the CSV columns and JSON keys, canonically spelled.
var importColumns = []string{"id", "nsid", "name", "email", "enrollment_level", "canviewip", "canaccessip", "isrms", "ocpservices", "deviceSubsetStartTime"}

var requiredColumns = []string{"id", "nsid", "name"}

// canonicalColumn returns the canonical spelling of a column or key name,
// or "" for an unknown one.
func canonicalColumn(s string) string {
	s = strings.TrimSpace(s)
	for _, c := range importColumns {
		if strings.EqualFold(c, s) {
			return c
		}
	}
	return ""
}

// ImportFormat reads one format of customer file. Scan reads the whole
// file once, refusing it for a structural fault (a syntax error, an
// unknown or repeated column), and counts its rows; Rows then reads it
// again, calling fn for each row with its place and its validated profile
// or the reason it is bad. Where names a place for a person: a CSV line, a
// JSON item. Each reader is the file from its start; a UTF-8 byte order
// mark is skipped.
type ImportFormat interface {
	Scan(r io.Reader) (rows int, err error)
	Rows(r io.Reader, fn func(place int, p Profile, err error) error) error
	Where(place int) string
}

// skipBOM returns r past a UTF-8 byte order mark.
func skipBOM(r io.Reader) *bufio.Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	return br
}

// DetectFormat chooses CSV or JSON by the first non-blank byte of r: JSON
// for '['. name is the file as the user named it: one named *.json must be
// JSON.
func DetectFormat(r io.Reader, name string) (ImportFormat, error) {
	br := skipBOM(r)
	var first byte
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil, fmt.Errorf("%s is empty", name)
		}
		if err != nil {
			return nil, err
		}
		if !isJSONSpace(b) {
			first = b
			break
		}
	}
	isJSONName := strings.EqualFold(filepath.Ext(name), ".json")
	switch {
	case first == '[':
		return &jsonFormat{}, nil
	case first == '{':
		return nil, fmt.Errorf("%s: a JSON file must hold an array of customer objects, [{...}, ...]", name)
	case isJSONName:
		return nil, fmt.Errorf("%s is named .json but does not start with '[': a JSON file must hold an array of customer objects", name)
	}
	return &csvFormat{}, nil
}

func isJSONSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}

// csvFormat reads CSV with a header row.
type csvFormat struct {
	index  map[string]int // canonical column → field index
	fields int            // fields in the header
}

func (f *csvFormat) Where(line int) string { return fmt.Sprintf("line %d", line) }

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(skipBOM(r))
	cr.FieldsPerRecord = -1 // a row of the wrong width is a bad row, not a bad file
	cr.ReuseRecord = true
	return cr
}

// csvError turns a csv syntax error into one line naming the place.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("CSV syntax error on line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

func (f *csvFormat) header(cr *csv.Reader) error {
	head, err := cr.Read()
	if err == io.EOF {
		return errors.New("the CSV file has no header row")
	}
	if err != nil {
		return csvError(err)
	}
	f.index = map[string]int{}
	f.fields = len(head)
	for i, h := range head {
		c := canonicalColumn(h)
		if c == "" {
			return fmt.Errorf("line 1: unknown column %s; the columns are %s", quoteShort(h), strings.Join(importColumns, ", "))
		}
		if _, dup := f.index[c]; dup {
			return fmt.Errorf("line 1: column %s appears twice", c)
		}
		f.index[c] = i
	}
	for _, c := range requiredColumns {
		if _, ok := f.index[c]; !ok {
			return fmt.Errorf("line 1: the header lacks the required column %s (id, nsid and name are required)", c)
		}
	}
	return nil
}

func (f *csvFormat) Scan(r io.Reader) (int, error) {
	cr := newCSVReader(r)
	if err := f.header(cr); err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, csvError(err)
		}
		n++
	}
}

func (f *csvFormat) Rows(r io.Reader, fn func(int, Profile, error) error) error {
	cr := newCSVReader(r)
	if err := f.header(cr); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != f.fields {
			err := carebridge.Errorf(carebridge.EINVALID, "has %d fields; the header has %d.", len(rec), f.fields)
			if err := fn(line, Profile{}, err); err != nil {
				return err
			}
			continue
		}
		get := func(c string) string {
			if i, ok := f.index[c]; ok {
				return rec[i]
			}
			return ""
		}
		p, err := buildProfile(get, SplitServices(get("ocpservices")))
		if err := fn(line, p, err); err != nil {
			return err
		}
	}
}

// buildProfile makes and validates a profile from a row's text values.
func buildProfile(get func(column string) string, services []string) (Profile, error) {
	var p Profile
	var err error
	if p.ID, err = ParseInteger("id", get("id")); err != nil {
		return p, err
	}
	if p.NSID, err = ParseInteger("nsid", get("nsid")); err != nil {
		return p, err
	}
	p.Name = get("name")
	p.Email = strings.TrimSpace(get("email"))
	p.EnrollmentLevel = Level(strings.TrimSpace(get("enrollment_level")))
	for _, b := range []struct {
		column string
		to     *bool
	}{{"canviewip", &p.CanViewIP}, {"canaccessip", &p.CanAccessIP}, {"isrms", &p.IsRMS}} {
		if *b.to, err = ParseBool(b.column, get(b.column)); err != nil {
			return p, err
		}
	}
	p.OCPServices = services
	if t := get("deviceSubsetStartTime"); strings.TrimSpace(t) != "" {
		if p.DeviceSubsetStartTime, err = ParseInteger("deviceSubsetStartTime", t); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}

// jsonFormat reads a JSON array of objects, one element at a time.
type jsonFormat struct{}

func (jsonFormat) Where(item int) string { return fmt.Sprintf("item %d", item) }

// jsonError turns a decoding error into one line.
func jsonError(err error, item int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("the JSON array ends early, in item %d", item)
	}
	return fmt.Errorf("JSON syntax error in item %d: %v", item, err)
}

// elements calls fn with each element of the array r holds.
func (jsonFormat) elements(r io.Reader, fn func(item int, raw json.RawMessage) error) error {
	dec := json.NewDecoder(skipBOM(r))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return errors.New("the file does not start a JSON array")
	}
	item := 0
	for dec.More() {
		item++
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(err, item)
		}
		if err := fn(item, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(err, item+1)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the JSON array is followed by more data")
	}
	return nil
}

// errUnknownKey refuses a whole file.
type errUnknownKey struct {
	item int
	key  string
}

func (e errUnknownKey) Error() string {
	return fmt.Sprintf("item %d: unknown key %s; the keys are %s", e.item, quoteShort(e.key), strings.Join(importColumns, ", "))
}

// jsonObject splits an element into its values by canonical key. An
// unknown key is an errUnknownKey (whatever else is wrong); any other fault
// is the row's.
func jsonObject(item int, raw json.RawMessage) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, carebridge.Errorf(carebridge.EINVALID, "is not a JSON object.")
	}
	values := map[string]json.RawMessage{}
	var rowErr error
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		c := canonicalColumn(key)
		if c == "" {
			return nil, errUnknownKey{item, key}
		}
		if _, dup := values[c]; dup && rowErr == nil {
			rowErr = carebridge.Errorf(carebridge.EINVALID, "key %s appears twice.", c)
		}
		values[c] = v
	}
	// A lone surrogate escape or bytes that are not UTF-8 would be stored
	// as U+FFFD; the faces refuse them, and so does the import.
	if err := strict.JSON(raw); err != nil && rowErr == nil {
		rowErr = carebridge.Errorf(carebridge.EINVALID, "%s.", err)
	}
	return values, rowErr
}

func (f jsonFormat) Scan(r io.Reader) (int, error) {
	n := 0
	err := f.elements(r, func(item int, raw json.RawMessage) error {
		n++
		var unknown errUnknownKey
		if _, err := jsonObject(item, raw); errors.As(err, &unknown) {
			return err
		}
		return nil
	})
	return n, err
}

func (f jsonFormat) Rows(r io.Reader, fn func(int, Profile, error) error) error {
	return f.elements(r, func(item int, raw json.RawMessage) error {
		p, err := jsonProfile(item, raw)
		var unknown errUnknownKey
		if errors.As(err, &unknown) {
			return err
		}
		return fn(item, p, err)
	})
}

// jsonProfile makes a profile of one array element. Integers are JSON
// numbers or strings holding one; booleans are JSON booleans, 0, 1, or
// strings as in CSV; null is the empty value.
func jsonProfile(item int, raw json.RawMessage) (Profile, error) {
	values, err := jsonObject(item, raw)
	if err != nil {
		return Profile{}, err
	}
	text := map[string]string{}
	for c, v := range values {
		if c == "ocpservices" {
			continue
		}
		if text[c], err = jsonText(c, v); err != nil {
			return Profile{}, err
		}
	}
	services, err := jsonServices(values["ocpservices"])
	if err != nil {
		return Profile{}, err
	}
	return buildProfile(func(c string) string { return text[c] }, services)
}

// jsonText reads a JSON scalar as the text a CSV cell would hold.
func jsonText(column string, v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	stringOnly := column == "name" || column == "email" || column == "enrollment_level"
	switch {
	case string(v) == "null":
		return "", nil
	case v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case stringOnly:
		return "", carebridge.Errorf(carebridge.EINVALID, "%s must be a string.", column)
	case v[0] == '{' || v[0] == '[':
		return "", carebridge.Errorf(carebridge.EINVALID, "%s must be a single value, not %s.", column, map[byte]string{'{': "an object", '[': "an array"}[v[0]])
	}
	// A number, true or false: its literal text.
	return string(v), nil
}

// jsonServices reads ocpservices: an array of strings, a ';'-separated
// string, or null.
func jsonServices(v json.RawMessage) ([]string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return []string{}, nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, err
		}
		return SplitServices(s), nil
	}
	var services []string
	if err := json.Unmarshal(v, &services); err != nil || services == nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "ocpservices must be an array of strings or a ';'-separated string.")
	}
	return services, nil
}

// ParseInteger reads a whole number; spaces around it are allowed.
func ParseInteger(field, s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, carebridge.Errorf(carebridge.EMISSING, "%s is mandatory.", field)
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, carebridge.Errorf(carebridge.EINVALID, "%s must be an integer; got %s.", field, quoteShort(s))
	}
	return n, nil
}

// SplitServices reads a ';'-separated list of OCP services; blanks around
// each name and empty names are dropped, and none is an empty list.
func SplitServices(s string) []string {
	services := []string{}
	for _, svc := range strings.Split(s, ";") {
		if svc = strings.TrimSpace(svc); svc != "" {
			services = append(services, svc)
		}
	}
	return services
}

// ParseBool reads true/false/1/0 in any case; empty is false.
func ParseBool(field, s string) (bool, error) {
	switch t := strings.TrimSpace(s); {
	case t == "", t == "0", strings.EqualFold(t, "false"):
		return false, nil
	case t == "1", strings.EqualFold(t, "true"):
		return true, nil
	}
	return false, carebridge.Errorf(carebridge.EINVALID, "%s must be true, false, 1 or 0; got %s.", field, quoteShort(s))
}

// quoteShort quotes a value for a message, cut to 40 characters.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		return strconv.Quote(string(r[:40])) + "…"
	}
	return strconv.Quote(s)
}
