package cli

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/demo"
	"carebridge/internal/logwriter"
	"carebridge/internal/middleware"
	"carebridge/internal/ocpapi"
	"carebridge/internal/server"
)

func serve(e env, args []string) error {
	fs, db := e.helpFlags("serve", "[flags]", "Runs the server until SIGTERM or SIGINT; migrations run first.", args)
	addr := fs.String("addr", e.envOr("CAREBRIDGE_ADDR", "127.0.0.1:8080"), "listen address")
	demoDefault, err := e.envBool("CAREBRIDGE_DEMO")
	if err != nil {
		return err
	}
	demoMode := fs.Bool("demo", demoDefault, "load the demo data (loopback addresses only)")
	lifetime := fs.Duration("token-lifetime", 2*time.Hour, "lifetime of a CRM.COM login token")
	careLifetime := fs.Duration("care-session-lifetime", 8*time.Hour, "lifetime of a care agent's session on the care plane")
	settle := fs.Duration("settle-interval", 5*time.Second, "how often the charge processor looks for PENDING charges when idle")
	shutdownDelay := fs.Duration("shutdown-delay", 0, "on SIGTERM, answer /readyz 503 this long before closing the listener")
	ocpLifetime := fs.Duration("ocp-token-lifetime", time.Hour, "lifetime of an OCP access token")
	ocpDocs := fs.String("ocp-documentation-url", e.envOr("CAREBRIDGE_OCP_DOCUMENTATION_URL", ocpapi.DefaultDocumentationURL), "documentationUrl of OCP error bodies")
	noReset, err := e.envBool("CAREBRIDGE_DISABLE_FACTORY_RESET")
	if err != nil {
		return err
	}
	disableReset := fs.Bool("disable-factory-reset", noReset, "refuse factoryReset over JSON-RPC (-32604), for production")
	logFormat := fs.String("log-format", e.envOr("CAREBRIDGE_LOG_FORMAT", "text"), "log format: text or json")
	debugAddr := fs.String("debug-addr", e.envOr("CAREBRIDGE_DEBUG_ADDR", ""), "also serve Go's profiles (/debug/pprof/) on this loopback address; empty: off")
	metricsAddr := fs.String("metrics-addr", e.envOr("CAREBRIDGE_METRICS_ADDR", ""), "serve /metrics on this address instead of --addr; empty: on --addr")
	for env, d := range map[string]*time.Duration{
		"CAREBRIDGE_TOKEN_LIFETIME":        lifetime,
		"CAREBRIDGE_CARE_SESSION_LIFETIME": careLifetime,
		"CAREBRIDGE_SETTLE_INTERVAL":       settle,
		"CAREBRIDGE_SHUTDOWN_DELAY":        shutdownDelay,
		"CAREBRIDGE_OCP_TOKEN_LIFETIME":    ocpLifetime,
	} {
		if err := e.envDuration(env, d); err != nil {
			return err
		}
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *settle < 100*time.Millisecond || *shutdownDelay < 0 {
		return fmt.Errorf("--settle-interval must be at least 100ms and --shutdown-delay not negative")
	}
	if *lifetime < time.Minute || *lifetime > 30*24*time.Hour {
		return fmt.Errorf("--token-lifetime must be between 1m and 720h; got %s", *lifetime)
	}
	if *careLifetime < time.Minute || *careLifetime > 7*24*time.Hour {
		return fmt.Errorf("--care-session-lifetime must be between 1m and 168h; got %s", *careLifetime)
	}
	if *ocpLifetime < time.Minute || *ocpLifetime > 24*time.Hour {
		return fmt.Errorf("--ocp-token-lifetime must be between 1m and 24h; got %s", *ocpLifetime)
	}
	logOut := logwriter.New(e.stderr, logFlushInterval)
	defer logOut.Close()
	log, err := newLogger(*logFormat, logOut)
	if err != nil {
		return err
	}
	if *debugAddr != "" && !loopback(*debugAddr) {
		return fmt.Errorf("--debug-addr serves profiles holding request data, so it listens on loopback addresses only, not %q", *debugAddr)
	}
	if *demoMode && !loopback(*addr) {
		return fmt.Errorf("--demo serves well-known passwords, so it listens on loopback addresses only (such as 127.0.0.1:8080), not %q", *addr)
	}
	if *demoMode && *metricsAddr != "" && !loopback(*metricsAddr) {
		return fmt.Errorf("--demo listens on loopback addresses only, --metrics-addr too (such as 127.0.0.1:9090), not %q", *metricsAddr)
	}
	// Every address is taken before the database is opened, so that a
	// wrong one fails at once and names its flag.
	ln, err := listenFlag("--addr", *addr)
	if err != nil {
		return err
	}
	defer ln.Close() // Serve has closed it by then, unless serve failed first
	var dl, ml net.Listener
	if *debugAddr != "" {
		if dl, err = listenFlag("--debug-addr", *debugAddr); err != nil {
			return err
		}
		defer dl.Close()
	}
	if *metricsAddr != "" {
		if ml, err = listenFlag("--metrics-addr", *metricsAddr); err != nil {
			return err
		}
		defer ml.Close()
	}

	ctx := e.ctx
	stores, err := server.OpenStores(ctx, *db)
	if err != nil {
		return err
	}
	defer stores.Close()
	srv, err := server.New(stores, server.Config{
		TokenLifetime: *lifetime, CareSessionLifetime: *careLifetime, SettleInterval: *settle, ShutdownDelay: *shutdownDelay, Log: log,
		OCPTokenLifetime: *ocpLifetime, OCPDocumentationURL: *ocpDocs, DisableFactoryReset: *disableReset,
		MetricsElsewhere: *metricsAddr != "",
	})
	if err != nil {
		return err
	}
	if !*demoMode && !loopback(*addr) {
		holds, err := demo.Decline(ctx, stores.Tenancy)
		if err != nil {
			return err
		}
		if holds {
			return fmt.Errorf("the database %s holds the demo data, whose passwords and tokens are public, so it is served on loopback addresses only (such as 127.0.0.1:8080), not %q", *db, *addr)
		}
	}
	var demoOperator carebridge.Operator
	demoLoaded := false
	if *demoMode {
		demoOperator, demoLoaded, err = srv.LoadDemo(ctx)
		if err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
		if !demoLoaded {
			fmt.Fprintln(e.stdout, "The database holds other data and no earlier demo load; the demo data was not loaded.")
		}
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "carebridge listening on %s (database %s)\n", url, *db)
	if demoLoaded {
		printDemoHowTo(e, url, demoOperator)
	}
	log.Info("listening", "addr", ln.Addr().String())
	if dl != nil {
		go func() {
			if err := server.ServeDebug(ctx, dl); err != nil {
				log.Error("debug listener", "err", err)
			}
		}()
		fmt.Fprintf(e.stdout, "carebridge profiles on http://%s/debug/pprof/\n", dl.Addr())
	}
	if ml != nil {
		go func() {
			if err := srv.ServeMetrics(ctx, ml); err != nil {
				log.Error("metrics listener", "err", err)
			}
		}()
		fmt.Fprintf(e.stdout, "carebridge metrics on http://%s/metrics\n", ml.Addr())
	}
	return srv.Serve(ctx, ln)
}

// printDemoHowTo tells a newcomer every demo credential: the CRM.COM login,
// the admin token of the JSON-RPC plane, the care agents and the OCP
// application.
func printDemoHowTo(e env, url string, op carebridge.Operator) {
	clientID := fmt.Sprintf("app-%d", demo.OCPAppID)
	fmt.Fprintf(e.stdout, `
Demo data: organisation %q, user %q, password %q (operator group id %d, %q).
Log in:
  curl -s -X POST %s/crmapi/rest/v2/authentication/token \
    -H 'Content-Type: application/json' \
    -d '{"organisation":"demo","username":"demo","password":"demo"}'
Then pass the returned data.token as "token".
JSON-RPC admin token %q:
  curl -s -H 'Authorization: Bearer %s' %s/jsonrpc \
    -d '{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}'
Care console: %s/console/ as care agent %q or supervisor %q (password: the user name).
Care plane: the same users log in with
  curl -s -X POST %s/care/login -H 'Content-Type: application/json' \
    -d '{"organisation":"demo","username":"agent","password":"agent"}'
then call /jsonrpc with 'Authorization: Bearer <token>', e.g. Netflix.1.find.
OCP application: client id %q, client secret %q:
  curl -s -u %s:%s -d grant_type=client_credentials %s/v1/oauth/token
See README.md for every method.
`, demo.Organisation, demo.Username, demo.Password, op.ID, op.Name, url,
		demo.AdminToken, demo.AdminToken, url,
		url, demo.CareAgent, demo.Supervisor, url,
		clientID, demo.OCPSecret, clientID, demo.OCPSecret, url)
}

// listenFlag listens on the address a flag gave, naming the flag when it
// cannot.
func listenFlag(flag, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
	return ln, nil
}

// loopback tells whether addr's host is a loopback address or localhost.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logFlushInterval bounds how long a log line waits in the server's
// buffer (see logwriter).
const logFlushInterval = 100 * time.Millisecond

func newLogger(format string, out io.Writer) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{ReplaceAttr: middleware.RedactAttr}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json; got %q", format)
}

func migrate(e env, args []string) error {
	fs, db := e.helpFlags("migrate", "[--db URL]", "Brings the database schema up to date.", args)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStores(e, *db, func(*server.Stores) error {
		fmt.Fprintf(e.stdout, "database %s is up to date\n", *db)
		return nil
	})
}
