package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"carebridge/internal/ocp"
	"carebridge/internal/server"
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
	var format ocp.ImportFormat
	if err := readFile(file, func(r io.Reader) (err error) {
		format, err = ocp.DetectFormat(r, shown)
		return err
	}); err != nil {
		return err
	}
	var total int
	if err := readFile(file, func(r io.Reader) (err error) {
		total, err = format.Scan(r)
		return err
	}); err != nil {
		return fmt.Errorf("%w; nothing was imported", err)
	}
	return withStores(e, *db, func(s *server.Stores) error {
		prog := newProgress(e.stderr, total)
		var rep ocp.ImportReport
		err := readFile(file, func(r io.Reader) (err error) {
			rep, err = ocpService(s).Import(e.ctx, format, r, prog.update)
			return err
		})
		prog.finish(rep.Read)
		if err != nil {
			return err
		}
		if len(rep.Rejected) == 0 {
			fmt.Fprintf(e.stdout, "%d imported, 0 rejected\n", rep.Stored)
			return nil
		}
		fmt.Fprintf(e.stdout, "%d imported, %d rejected; these rows were not stored:\n", rep.Stored, len(rep.Rejected))
		for _, r := range rep.Rejected {
			fmt.Fprintf(e.stdout, "%s: %s\n", r.Place, r.Reason)
		}
		return fmt.Errorf("%d of %d rows were rejected (listed on standard output); %d stored", len(rep.Rejected), rep.Read, rep.Stored)
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

// readFile opens a file and hands it to fn.
func readFile(path string, fn func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
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
