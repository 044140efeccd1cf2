// Package server assembles the process: stores, plugins on the host, the
// wire faces, and the HTTP server around them.
package server

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/careapi"
	"carebridge/internal/console"
	"carebridge/internal/crmapi"
	"carebridge/internal/events"
	"carebridge/internal/host"
	"carebridge/internal/idempotency"
	"carebridge/internal/metrics"
	"carebridge/internal/middleware"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/ocpapi"
	"carebridge/internal/partner"
	"carebridge/internal/partnerapi"
	"carebridge/internal/rpcapi"
	"carebridge/internal/tokencache"
	"carebridge/internal/webhook"
)

// Config is what serve is told.
type Config struct {
	TokenLifetime       time.Duration
	CareSessionLifetime time.Duration // lifetime of a care agent's session (0: 8 hours)
	ShutdownDelay       time.Duration // readiness fails this long before the listener closes
	ShutdownTimeout     time.Duration // then requests in flight get this long to finish
	SettleInterval      time.Duration // how often the charge processor looks for work when idle
	WebhookInterval     time.Duration // how often webhook deliveries are looked for when idle (0: 1 s)
	WebhookClient       *http.Client  // the client deliveries are sent with (nil: webhook.NewClient())
	OCPTokenLifetime    time.Duration // lifetime of an OCP access token
	OCPDocumentationURL string        // documentationUrl of OCP error bodies
	DisableFactoryReset bool          // factoryReset answers -32604 (production)
	TokenCacheTTL       time.Duration // how long a valid token is trusted without reading it again (0: 1s)
	Log                 *slog.Logger
	Now                 func() time.Time // nil: time.Now
	Metrics             *metrics.Metrics // nil: a registry of its own
	MetricsElsewhere    bool             // /metrics is served by ServeMetrics on its own address, not by Handler
}

// Server is a running carebridge: its services and its HTTP handler.
type Server struct {
	Stores    *Stores
	Host      *host.Host
	Auth      *auth.Service // the CRM.COM face's sessions
	Care      *auth.Service // care agents' sessions
	Netflix   *netflix.Service
	Processor *netflix.Processor
	Webhooks  *webhook.Deliverer
	OCP       *ocp.Service
	// Idempotency runs the CRM.COM face's POST methods named by an
	// Idempotency-Key once per user and key.
	Idempotency *idempotency.Service
	RPC         *rpcapi.Handler
	Metrics     *metrics.Metrics

	// AfterReset, when set, runs once after each factory reset (the demo
	// sets it to restore its data set).
	AfterReset func(ctx context.Context) error
	Handler    http.Handler

	cfg      Config
	shutting atomic.Bool
	routes   []string // the patterns Handler's mux registers
}

// Routes lists the ServeMux patterns Handler registers: each route, and
// each face's mount (whose own routes the face lists).
func (s *Server) Routes() []string { return slices.Clone(s.routes) }

// New wires the services on stores and registers the plugins.
func New(stores *Stores, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 2 * time.Hour
	}
	if cfg.CareSessionLifetime <= 0 {
		cfg.CareSessionLifetime = 8 * time.Hour
	}
	if cfg.OCPTokenLifetime <= 0 {
		cfg.OCPTokenLifetime = time.Hour
	}
	if cfg.TokenCacheTTL <= 0 {
		cfg.TokenCacheTTL = time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	processor := netflix.NewProcessor(stores.Netflix, cfg.Now, cfg.SettleInterval, cfg.Log)
	hst := host.New()
	hst.Wipe = func(ctx context.Context, actor string, callsigns []string) error {
		return stores.FactoryReset(ctx, actor, cfg.Now(), callsigns)
	}
	processor.Active = func() bool { return hst.Active(netflix.Callsign) }
	processor.Observer = cfg.Metrics
	if stores.Instrument != nil {
		stores.Instrument(cfg.Metrics)
	}
	cfg.Metrics.WatchPending(func(ctx context.Context) (int64, time.Time, error) {
		p, err := stores.Netflix.PendingCharges(ctx, cfg.Now())
		return p.Count, p.Oldest, err
	}, cfg.Now)
	s := &Server{
		Stores: stores,
		Host:   hst,
		Auth:   auth.NewService(stores.Tenancy, cfg.Now, cfg.TokenLifetime),
		Netflix: &netflix.Service{
			Store: stores.Netflix, Partner: partner.Local{}, Groups: stores.Tenancy,
			Now: cfg.Now, Settled: processor, Observer: cfg.Metrics,
		},
		Processor: processor,
		OCP: &ocp.Service{Store: stores.OCP, Now: cfg.Now, TokenLifetime: cfg.OCPTokenLifetime,
			Tokens: tokencache.New[int64](cfg.TokenCacheTTL)},
		Idempotency: &idempotency.Service{Engine: stores.Idempotency, Now: cfg.Now},
		Metrics:     cfg.Metrics,
		cfg:         cfg,
	}
	s.Auth.Sessions = tokencache.New[carebridge.Caller](cfg.TokenCacheTTL)
	s.Auth.Observer = cfg.Metrics
	s.Auth.Released = func(ctx context.Context, tokenHash []byte) {
		s.announce(ctx, events.Message{Kind: events.SessionReleased, Token: hex.EncodeToString(tokenHash)})
	}
	// Care sessions share the CRM.COM logins' throttles; they are not
	// cached, so a logout ends them everywhere at once.
	s.Care = s.Auth.ForAudience(carebridge.AudienceCare, cfg.CareSessionLifetime)
	for _, p := range []host.Plugin{
		netflix.Plugin{},
		ocp.Plugin{Service: s.OCP},
	} {
		if err := s.Host.Register(p); err != nil {
			return nil, err
		}
	}

	rpc, err := rpcapi.New(rpcapi.Config{
		Tenancy: stores.Tenancy, Care: s.Care, Netflix: s.Netflix, Now: cfg.Now,
		Host: s.Host, Log: cfg.Log, FactoryReset: !cfg.DisableFactoryReset,
		Publish: s.publish, Observer: cfg.Metrics,
		AfterReset: func(ctx context.Context, callsigns []string) error {
			for _, callsign := range callsigns {
				s.announce(ctx, events.Message{Kind: events.PluginReset, Callsign: callsign})
			}
			if s.AfterReset == nil {
				return nil
			}
			return s.AfterReset(ctx)
		},
	})
	if err != nil {
		return nil, err
	}
	s.RPC = rpc
	s.Webhooks = &webhook.Deliverer{
		Store: stores.Deliveries, Client: cfg.WebhookClient, Now: cfg.Now, Log: cfg.Log,
		Interval: cfg.WebhookInterval, Observer: cfg.Metrics,
	}
	// The Netflix plugin's committed changes become the plane's events,
	// and wake the webhook deliveries their outbox events wait for.
	changed := kickOnChange{rpc.Notifier(), s.Webhooks}
	s.Netflix.Settled = kickers{processor, s.Webhooks} // charges arrived
	s.Netflix.Notifier = changed
	s.Processor.Notifier = changed
	if err := s.loadPluginStates(context.Background()); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) {
		s.routes = append(s.routes, pattern)
		mux.Handle(pattern, h)
	}
	handle(rpcapi.Prefix, rpc)
	handle(rpcapi.Prefix+"/", rpc)
	handle(crmapi.Prefix, crmapi.New(s.Auth, s.Netflix, s.Idempotency, s.Host, cfg.Log))
	careFace := careapi.New(s.Care, stores.Tenancy, cfg.Log)
	careFace.Released = func(ctx context.Context) {
		// The plane closes the WebSockets opened with it, here and on
		// the other replicas.
		s.RPC.RecheckCredentials()
		s.announce(ctx, events.Message{Kind: events.CredentialsChanged})
	}
	handle(careapi.Prefix, careFace)
	partnerFace := partnerapi.New(stores.Tenancy, s.Netflix, s.Host, cfg.Now, cfg.Log)
	partnerFace.Observer = cfg.Metrics
	handle(partnerapi.Path, partnerFace)
	ocpFace := ocpapi.New(s.OCP, s.Host, cfg.OCPDocumentationURL, cfg.Log)
	ocpFace.Observer = cfg.Metrics
	handle(ocpapi.Prefix, ocpFace)
	// The care console's page, and its root redirected to it.
	consoleFace := console.New()
	handle(console.Prefix, consoleFace)
	handle(console.Root, consoleFace)
	handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writePlain(w, http.StatusOK, "ok\n")
	}))
	handle("GET /readyz", http.HandlerFunc(s.ready))
	handle("GET "+rpcapi.OpenRPCPath, rpcapi.ServeOpenRPC)
	handle("GET "+OpenAPIPath, serveOpenAPI)
	if !cfg.MetricsElsewhere {
		handle(MetricsPath, s.Metrics.Handler())
	}
	var h http.Handler = mux
	h = middleware.Recover(cfg.Log, h)
	h = middleware.Metrics(s.Metrics, routeLabels, h)
	h = middleware.AccessLog(cfg.Log, h)
	h = middleware.RequestID(h)
	s.Handler = h
	return s, nil
}

// loadPluginStates applies the plugin states saved by any replica (or
// before a restart).
func (s *Server) loadPluginStates(ctx context.Context) error {
	states, err := s.Stores.Tenancy.PluginStates(ctx)
	if err != nil {
		return err
	}
	for callsign, active := range states {
		s.RPC.Deliver(events.Message{Kind: events.PluginState, Callsign: callsign, Active: active})
	}
	return nil
}

// publish reaches every replica: through the engine's bus when it has
// one, directly otherwise.
func (s *Server) publish(ctx context.Context, m events.Message) error {
	if s.Stores.Bus == nil {
		s.RPC.Deliver(m)
		return nil
	}
	return s.Stores.Bus.Publish(ctx, m)
}

// announce tells the other replicas, when there are any, that something
// this one cached has ended (it has dropped its own copy already). A lost
// announcement is not an error of the request: the other replicas' caches
// trust an entry for TokenCacheTTL at most.
func (s *Server) announce(ctx context.Context, m events.Message) {
	if s.Stores.Bus == nil {
		return
	}
	if err := s.Stores.Bus.Publish(context.WithoutCancel(ctx), m); err != nil {
		s.cfg.Log.Warn("announce to the other replicas", "kind", m.Kind, "err", err)
	}
}

// forget drops what an announcement says has ended.
func (s *Server) forget(m events.Message) {
	switch m.Kind {
	case events.SessionReleased:
		if hash, err := hex.DecodeString(m.Token); err == nil {
			s.Auth.Forget(hash)
		}
	case events.PluginReset:
		if m.Callsign == ocp.Callsign {
			s.OCP.Tokens.Clear()
		}
	case events.CredentialsChanged:
		s.Auth.Sessions.Clear()
		s.RPC.RecheckCredentials()
	}
}

// Start runs the background work until ctx ends: the charge processor,
// housekeeping, and listening to the other replicas. Serve calls it; a
// test that serves Handler itself calls it too. The returned wait blocks
// until it has all stopped.
func (s *Server) Start(ctx context.Context) (wait func()) {
	var background sync.WaitGroup
	background.Go(func() { s.housekeeping(ctx) })
	background.Go(func() { s.Processor.Run(ctx) })
	background.Go(func() { s.Webhooks.Run(ctx) })
	// A credential ended by another process (the command line) is seen
	// here: the CRM.COM face's cached sessions go, and the plane checks
	// its WebSockets again.
	background.Go(func() { s.RPC.WatchCredentials(ctx, s.Auth.Sessions.Clear) })
	if s.Stores.Bus != nil {
		// Plugin states are read from the database, not from the message:
		// each time the bus starts listening (a change may have been
		// published before), and whenever a change is announced (two
		// changes at once may be announced in another order than they were
		// saved in).
		reload := func() {
			if err := s.loadPluginStates(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Log.Warn("reload plugin states", "err", err)
			}
		}
		// (Re)starting to listen, announcements may have been missed: the
		// token caches start over.
		listening := func() {
			s.Auth.Sessions.Clear()
			s.OCP.Tokens.Clear()
			s.RPC.RecheckCredentials()
			reload()
		}
		deliver := func(m events.Message) {
			switch m.Kind {
			case events.PluginState:
				reload()
			case events.SessionReleased, events.PluginReset, events.CredentialsChanged:
				s.forget(m)
			default:
				s.RPC.Deliver(m)
			}
		}
		background.Go(func() { s.Stores.Bus.Listen(ctx, listening, deliver) })
	}
	return background.Wait
}

// ready answers 200 while the database answers and the server is not
// shutting down, so a load balancer stops sending work before the end.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.shutting.Load() {
		writePlain(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Stores.Ping(ctx); err != nil {
		s.cfg.Log.WarnContext(ctx, "readiness: database unreachable", "err", err)
		writePlain(w, http.StatusServiceUnavailable, "database unreachable\n")
		return
	}
	writePlain(w, http.StatusOK, "ready\n")
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// Serve answers on ln until ctx ends, then shuts down gracefully: readiness
// fails at once while requests are still served for ShutdownDelay (so a
// load balancer notices and stops sending), then the listener closes and
// requests in flight get ShutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Background work stops with ctx and is waited for, so that the stores
	// are not closed under a transaction.
	bgCtx, stopBackground := context.WithCancel(ctx)
	wait := s.Start(bgCtx)
	defer wait()
	defer stopBackground() // runs before wait: Serve may end without ctx ending

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.shutting.Store(true)
	s.cfg.Log.Info("shutting down", "delay", s.cfg.ShutdownDelay, "grace", s.cfg.ShutdownTimeout)
	time.Sleep(s.cfg.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if werr := s.RPC.CloseWebSockets(sctx); err == nil {
		err = werr
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// housekeeping deletes long-ended sessions, expired OCP tokens,
// long-ended webhook deliveries and expired idempotency keys, every ten
// minutes.
func (s *Server) housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Auth.PurgeSessions(ctx); err != nil {
			s.cfg.Log.Warn("purge sessions", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("purged ended sessions", "count", n)
		}
		if _, err := s.Stores.OCP.DeleteTokensExpiredBefore(ctx, s.cfg.Now()); err != nil {
			s.cfg.Log.Warn("purge OCP tokens", "err", err)
		}
		if _, err := s.Stores.Deliveries.PurgeDeliveries(ctx, s.cfg.Now().Add(-webhook.Keep)); err != nil {
			s.cfg.Log.Warn("purge webhook deliveries", "err", err)
		}
		if _, err := s.Idempotency.Purge(ctx); err != nil {
			s.cfg.Log.Warn("purge idempotency keys", "err", err)
		}
	}
}
