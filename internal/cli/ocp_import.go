package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/server"
	"carebridge/internal/strict"
)

const customerImportHelp = `Inserts or replaces customer profiles from FILE, which is CSV or JSON:

  - JSON when the first character that is not blank (after an optional UTF-8
    byte order mark) is '[': an array of objects. Otherwise CSV, with a header
    row. A file named *.json must be JSON.
  - Columns (CSV header) or keys (JSON): id, nsid and name are required;
    email, enrollment_level (None, Base or Premium; empty is None), canviewip,
    canaccessip, isrms (true, false, 1 or 0, any case; empty is false),
    ocpservices (names separated by ';'; in JSON also an array of strings)
    and deviceSubsetStartTime (an integer) are optional. Names are matched
    without regard to case. An unknown or repeated column or key refuses the
    whole file before anything is stored, as does a CSV or JSON syntax error.
  - Each row is checked on its own: a bad row, or a row repeating the id of an
    earlier good row, is reported with its place (CSV: line of the file; JSON:
    item number in the array, from 1) and skipped; the good rows are stored,
    500 per transaction. The exit status is 1 when any row was rejected.
`

// importBatch is how many rows one transaction stores.
const importBatch = 500

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

// rejection is a row that was not stored, and why.
type rejection struct {
	place  string
	reason string
}

// importFormat reads one format of customer file. scan reads the whole file
// once, refusing it for a structural fault, and counts its rows; rows then
// reads it again, calling fn for each row with its place and its profile or
// the reason it is bad.
type importFormat interface {
	scan(r io.Reader) (rows int, err error)
	rows(r io.Reader, fn func(place int, p ocp.Profile, err error) error) error
	where(place int) string
}

// ocpCustomerImport stores customer profiles from a CSV or JSON file,
// reading it as a stream.
func ocpCustomerImport(e env, args []string) error {
	const name = "ocp customer import"
	file, args := importArgument(args)
	fs, db := e.helpFlags(name, "FILE [--db URL]", customerImportHelp, args)
	if file == "" && len(args) > 0 {
		// FILE after the flags: parse them, then take the one argument left.
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		file, args = importArgument(fs.Args())
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if file == "" {
		return fmt.Errorf("name the file to import: carebridge ocp customer import FILE (- reads standard input)")
	}
	// The file is read more than once (format, check, import): a pipe, or
	// standard input, is copied to a temporary file first.
	shown := file
	if file == "-" {
		shown = "standard input"
	}
	file, cleanup, err := rereadable(file, e.stdin)
	if err != nil {
		return err
	}
	defer cleanup()
	format, err := detectFormat(file, shown)
	if err != nil {
		return err
	}
	var total int
	if err := readFile(file, func(r io.Reader) (err error) {
		total, err = format.scan(r)
		return err
	}); err != nil {
		return fmt.Errorf("%w; nothing was imported", err)
	}
	return withStores(e, *db, func(s *server.Stores) error {
		svc := ocpService(s)
		prog := newProgress(e.stderr, total)
		var (
			batch    = make([]ocp.Profile, 0, importBatch)
			seen     = map[int64]int{} // id → place of the row stored with it
			rejected []rejection
			read     int // rows read
			last     int // place of the last row read
			stored   int
			failed   bool // storing a batch failed
		)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := svc.SaveCustomers(e.ctx, batch); err != nil {
				failed = true
				return fmt.Errorf("storing the rows up to %s: %s (%d rows were stored before)", format.where(last), oneLine(err), stored)
			}
			stored += len(batch)
			batch = batch[:0]
			prog.update(read, stored)
			return nil
		}
		err := readFile(file, func(r io.Reader) error {
			return format.rows(r, func(place int, p ocp.Profile, err error) error {
				read++
				last = place
				if err == nil {
					if first, dup := seen[p.ID]; dup {
						err = carebridge.Errorf(carebridge.EINVALID, "id %d already on %s.", p.ID, format.where(first))
					}
				}
				if err != nil {
					rejected = append(rejected, rejection{format.where(place), oneLine(err)})
					return nil
				}
				seen[p.ID] = place
				batch = append(batch, p)
				if len(batch) == importBatch {
					return flush()
				}
				return nil
			})
		})
		if err == nil {
			err = flush()
		} else if !failed {
			// The file changed since it was checked.
			err = fmt.Errorf("%s (%d rows were stored before)", oneLine(err), stored)
		}
		prog.finish(read)
		if err != nil {
			return err
		}
		if len(rejected) == 0 {
			fmt.Fprintf(e.stdout, "%d imported, 0 rejected\n", stored)
			return nil
		}
		fmt.Fprintf(e.stdout, "%d imported, %d rejected; these rows were not stored:\n", stored, len(rejected))
		for _, r := range rejected {
			fmt.Fprintf(e.stdout, "%s: %s\n", r.place, r.reason)
		}
		return fmt.Errorf("%d of %d rows were rejected (listed on standard output); %d stored", len(rejected), read, stored)
	})
}

// importArgument takes the FILE argument off the front of args: a name
// that does not start with '-', or "-" alone (standard input, as the
// convention of Unix tools goes).
func importArgument(args []string) (string, []string) {
	if len(args) > 0 && args[0] == "-" {
		return args[0], args[1:]
	}
	return positional(args)
}

// rereadable returns path when it is a regular file, or else the path of a
// temporary copy of what it yields (a pipe, /dev/stdin; "-" is stdin) and
// how to remove it.
func rereadable(path string, stdin io.Reader) (string, func(), error) {
	var in io.Reader = stdin
	if path != "-" {
		info, err := os.Stat(path)
		if err != nil {
			return "", nil, err
		}
		if info.Mode().IsRegular() {
			return path, func() {}, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		in = f
	}
	tmp, err := os.CreateTemp("", "carebridge-import-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		cleanup()
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp.Name(), cleanup, nil
}

// readFile opens a file, skips a UTF-8 byte order mark and hands the rest
// to fn.
func readFile(path string, fn func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	if b, err := r.Peek(3); err == nil && string(b) == "\ufeff" {
		r.Discard(3)
	}
	return fn(r)
}

// detectFormat chooses CSV or JSON by the file's first non-blank byte;
// name is the file as the user named it (path may be a copy).
func detectFormat(path, name string) (importFormat, error) {
	var first byte
	err := readFile(path, func(r io.Reader) error {
		br := r.(*bufio.Reader)
		for {
			b, err := br.ReadByte()
			if err == io.EOF {
				return fmt.Errorf("%s is empty", name)
			}
			if err != nil {
				return err
			}
			if !isJSONSpace(b) {
				first = b
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
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

func (f *csvFormat) where(line int) string { return fmt.Sprintf("line %d", line) }

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
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

func (f *csvFormat) scan(r io.Reader) (int, error) {
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

func (f *csvFormat) rows(r io.Reader, fn func(int, ocp.Profile, error) error) error {
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
			if err := fn(line, ocp.Profile{}, err); err != nil {
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
		p, err := buildProfile(get, splitServices(get("ocpservices")))
		if err := fn(line, p, err); err != nil {
			return err
		}
	}
}

// buildProfile makes and validates a profile from a row's text values.
func buildProfile(get func(column string) string, services []string) (ocp.Profile, error) {
	var p ocp.Profile
	var err error
	if p.ID, err = parseInteger("id", get("id")); err != nil {
		return p, err
	}
	if p.NSID, err = parseInteger("nsid", get("nsid")); err != nil {
		return p, err
	}
	p.Name = get("name")
	p.Email = strings.TrimSpace(get("email"))
	p.EnrollmentLevel = ocp.Level(strings.TrimSpace(get("enrollment_level")))
	for _, b := range []struct {
		column string
		to     *bool
	}{{"canviewip", &p.CanViewIP}, {"canaccessip", &p.CanAccessIP}, {"isrms", &p.IsRMS}} {
		if *b.to, err = parseBool(b.column, get(b.column)); err != nil {
			return p, err
		}
	}
	p.OCPServices = services
	if t := get("deviceSubsetStartTime"); strings.TrimSpace(t) != "" {
		if p.DeviceSubsetStartTime, err = parseInteger("deviceSubsetStartTime", t); err != nil {
			return p, err
		}
	}
	return p, p.Validate()
}

// jsonFormat reads a JSON array of objects, one element at a time.
type jsonFormat struct{}

func (jsonFormat) where(item int) string { return fmt.Sprintf("item %d", item) }

// jsonError turns a decoding error into one line.
func jsonError(err error, item int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("the JSON array ends early, in item %d", item)
	}
	return fmt.Errorf("JSON syntax error in item %d: %v", item, err)
}

// elements calls fn with each element of the array r holds.
func (jsonFormat) elements(r io.Reader, fn func(item int, raw json.RawMessage) error) error {
	dec := json.NewDecoder(r)
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

func (f jsonFormat) scan(r io.Reader) (int, error) {
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

func (f jsonFormat) rows(r io.Reader, fn func(int, ocp.Profile, error) error) error {
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
func jsonProfile(item int, raw json.RawMessage) (ocp.Profile, error) {
	values, err := jsonObject(item, raw)
	if err != nil {
		return ocp.Profile{}, err
	}
	text := map[string]string{}
	for c, v := range values {
		if c == "ocpservices" {
			continue
		}
		if text[c], err = jsonText(c, v); err != nil {
			return ocp.Profile{}, err
		}
	}
	services, err := jsonServices(values["ocpservices"])
	if err != nil {
		return ocp.Profile{}, err
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
		return splitServices(s), nil
	}
	var services []string
	if err := json.Unmarshal(v, &services); err != nil || services == nil {
		return nil, carebridge.Errorf(carebridge.EINVALID, "ocpservices must be an array of strings or a ';'-separated string.")
	}
	return services, nil
}

// progress reports an import's advance on stderr: a bar redrawn in place on
// a terminal, a line per stored batch otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	total int
}

func newProgress(w io.Writer, total int) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd())), total: total}
}

// barWidth is the number of cells in the bar.
const barWidth = 30

func (p *progress) update(read, stored int) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", renderBar(read, p.total, barWidth))
		return
	}
	fmt.Fprintf(p.w, "imported %d/%d rows\n", stored, p.total)
}

// finish draws the bar full and ends its line.
func (p *progress) finish(read int) {
	if p.tty && p.total > 0 {
		fmt.Fprintf(p.w, "\r%s\n", renderBar(read, p.total, barWidth))
	}
}

// renderBar draws `[#####-----]  50%  5/10 rows` with width cells.
func renderBar(done, total, width int) string {
	width = max(width, 1)
	done = max(done, 0)
	filled, pct := width, 100 // nothing to do is all done
	if total > 0 {
		done = min(done, total)
		filled, pct = done*width/total, done*100/total
	} else {
		total, done = 0, 0
	}
	return fmt.Sprintf("[%s%s] %3d%%  %d/%d rows", strings.Repeat("#", filled), strings.Repeat("-", width-filled), pct, done, total)
}
