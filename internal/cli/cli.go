// Package cli is the carebridge command line: serve, migrate and the admin
// commands. Run is the whole program, so tests drive it like a user would.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/bench"
	"carebridge/internal/server"
)

const usage = `carebridge — system of record between billing, partner and care.

Usage:
  carebridge serve [--addr ADDR] [--db URL] [--demo] [--token-lifetime D] [--care-session-lifetime D]
                   [--settle-interval D] [--shutdown-delay D] [--log-format json|text]
                   [--ocp-token-lifetime D] [--ocp-documentation-url URL]
                   [--disable-factory-reset] [--debug-addr ADDR] [--metrics-addr ADDR]
  carebridge migrate [--db URL]
  carebridge backup [--db URL] FILE   (SQLite: a consistent copy while servers run)
  carebridge org create --name ORG
  carebridge operator create --org ORG --name NAME [--alternative-code CODE]
  carebridge operator update --org ORG --name NAME --charge-decision auto|operator
                             [--decision-deadline 72h]
  carebridge user create --org ORG --operator NAME --username USER [--role api|care|supervisor]
                         (password on stdin)
  carebridge user role --org ORG --operator NAME --username USER --role api|care|supervisor
  carebridge user disable --org ORG --operator NAME --username USER
  carebridge user api-key create --org ORG --operator NAME --username USER [--name LABEL]
                                 (prints the key once)
  carebridge user api-key list --org ORG --operator NAME --username USER
  carebridge user api-key revoke --org ORG --operator NAME --username USER --name LABEL
  carebridge promotion create --org ORG --operator NAME --code C --name N
                              [--description D] [--effective-from T] [--expires-on T]
  carebridge operator secret --org ORG --operator NAME [--rotate]
  carebridge charges ingest FILE --org ORG --operator NAME
  carebridge admin-token create --name NAME --role ops|admin [--expires 720h]
  carebridge admin-token list
  carebridge admin-token revoke --name NAME
  carebridge webhook create --org ORG --operator NAME --url URL --events TYPE,TYPE
                            (prints the signing secret once)
  carebridge webhook list --org ORG --operator NAME
  carebridge webhook delete --org ORG --operator NAME --id N
  carebridge webhook deliveries --org ORG --operator NAME [--failed] [--limit N]
  carebridge webhook redeliver --org ORG --operator NAME --id N
  carebridge ocp customer create --id N --nsid N --name NAME [--email E]
                                 [--enrollment-level None|Base|Premium] [--canviewip]
                                 [--canaccessip] [--isrms] [--ocpservices a;b]
                                 [--device-subset-start-time N]
  carebridge ocp customer update --id N [the flags of create to change]
  carebridge ocp customer import FILE   (CSV with a header row, or a JSON array;
                                         - reads standard input; -h lists the columns)
  carebridge ocp app create --id N --name NAME [--customers 1649,1650]
  carebridge ocp app grant --id N --customers 1649,1650
  carebridge ocp app revoke --id N --customers 1649,1650
  carebridge bench [--db URL] [--duration D] [--connections N] [--scale X]
                   [--scenarios a,b] [--json FILE]   (--db defaults to a temporary SQLite file)

Every command takes --db URL: a SQLite file path, sqlite:PATH, or a PostgreSQL
URL postgres://user@host:5432/db?sslmode=require (default $CAREBRIDGE_DB, else
` + server.DefaultDatabase + `).
Flags of serve default to CAREBRIDGE_ADDR, CAREBRIDGE_DB, CAREBRIDGE_DEMO,
CAREBRIDGE_TOKEN_LIFETIME, CAREBRIDGE_CARE_SESSION_LIFETIME, CAREBRIDGE_SETTLE_INTERVAL, CAREBRIDGE_SHUTDOWN_DELAY,
CAREBRIDGE_OCP_TOKEN_LIFETIME, CAREBRIDGE_OCP_DOCUMENTATION_URL, CAREBRIDGE_LOG_FORMAT,
CAREBRIDGE_DISABLE_FACTORY_RESET and CAREBRIDGE_DEBUG_ADDR.
`

// env is the process environment (a map in tests).
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// Run runs one command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

type command func(e env, args []string) error

var commands = map[string]command{
	"serve":               serve,
	"migrate":             migrate,
	"backup":              backup,
	"org create":          orgCreate,
	"operator create":     operatorCreate,
	"operator update":     operatorUpdate,
	"user create":         userCreate,
	"promotion create":    promotionCreate,
	"operator secret":     operatorSecret,
	"charges ingest":      chargesIngest,
	"user role":           userRole,
	"user disable":        userDisable,
	"user api-key create": apiKeyCreate,
	"user api-key list":   apiKeyList,
	"user api-key revoke": apiKeyRevoke,
	"admin-token create":  adminTokenCreate,
	"admin-token list":    adminTokenList,
	"admin-token revoke":  adminTokenRevoke,

	"webhook create":     webhookCreate,
	"webhook list":       webhookList,
	"webhook delete":     webhookDelete,
	"webhook deliveries": webhookDeliveries,
	"webhook redeliver":  webhookRedeliver,

	"ocp customer create": ocpCustomerCreate,
	"ocp customer update": ocpCustomerUpdate,
	"ocp customer import": ocpCustomerImport,
	"ocp app create":      ocpAppCreate,
	"ocp app grant":       ocpAppGrant,
	"ocp app revoke":      ocpAppRevoke,

	"bench": benchCmd,
	// Not in the usage: the bench starts it as a child process.
	bench.BaselineCommand: benchBaseline,
}

func run(args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	name := args[0]
	cmd, ok := commands[name]
	rest := args[1:]
	// Commands are one to three words: serve, org create, ocp app grant.
	for words := 2; !ok && words <= 3 && len(args) >= words; words++ {
		name = strings.Join(args[:words], " ")
		cmd, ok = commands[name]
		rest = args[words:]
	}
	if !ok {
		fmt.Fprintf(e.stderr, "carebridge: unknown command %q; run carebridge help\n", strings.Join(args[:min(3, len(args))], " "))
		return 2
	}
	err := cmd(e, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(e.stderr, "carebridge %s: %s\n", name, oneLine(err))
	return 1
}

// errUsage marks a flag error already printed by the flag package.
var errUsage = errors.New("usage")

// oneLine turns an error into the one-line reason a user reads.
func oneLine(err error) string {
	var ce *carebridge.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// flags returns a flag set for a command with the --db flag every command
// has.
func (e env) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("carebridge "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	// The flag package prints the error itself; one hint line follows
	// instead of the whole flag list (which -h still shows).
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "run 'carebridge %s -h' for its flags\n", name)
	}
	db := fs.String("db", e.envOr("CAREBRIDGE_DB", server.DefaultDatabase), "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	return fs, db
}

func (e env) envOr(key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// envBool reads a boolean environment variable; unset is false.
func (e env) envBool(key string) (bool, error) {
	v := e.getenv(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false", key, v)
	}
	return b, nil
}

// envDuration sets *d from an environment variable when it is set.
func (e env) envDuration(key string, d *time.Duration) error {
	v := e.getenv(key)
	if v == "" {
		return nil
	}
	parsed, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s=%q is not a duration such as 2h or 30s", key, v)
	}
	*d = parsed
	return nil
}

// parse parses flags and refuses stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

// need refuses empty mandatory flags. A name in capitals (FILE) is a
// positional argument, not a flag.
func need(flags ...[2]string) error {
	for _, f := range flags {
		switch {
		case f[1] != "":
		case f[0] == strings.ToUpper(f[0]):
			return fmt.Errorf("%s is required: give it as an argument", f[0])
		default:
			return fmt.Errorf("--%s is required", f[0])
		}
	}
	return nil
}

// helpFlags is e.flags whose -h prints the command's synopsis, help (a
// paragraph about it) and flags; a flag error still prints the one hint
// line.
func (e env) helpFlags(name, synopsis, help string, args []string) (*flag.FlagSet, *string) {
	fs, db := e.flags(name)
	hint := fs.Usage
	fs.Usage = func() {
		if !helpAsked(args) {
			hint()
			return
		}
		fmt.Fprintf(e.stderr, "Usage: carebridge %s %s\n\n%s\nFlags:\n", name, synopsis, help)
		fs.PrintDefaults()
	}
	return fs, db
}

func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
