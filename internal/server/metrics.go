package server

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"carebridge/internal/careapi"
	"carebridge/internal/console"
	"carebridge/internal/crmapi"
	"carebridge/internal/metrics"
	"carebridge/internal/middleware"
	"carebridge/internal/ocpapi"
	"carebridge/internal/partnerapi"
	"carebridge/internal/rpcapi"
)

// MetricsPath is the route of the Prometheus scrape.
const MetricsPath = "GET /metrics"

// routeLabels names a served request by the face that answered it and the
// ServeMux pattern that routed it (the face's own mux refines the pattern
// of its mount). Patterns are templates, so a customer id, charge number
// or token in the path or query never becomes a label; a request no
// pattern took counts as metrics.Unmatched.
func routeLabels(r *http.Request) (face, route string) {
	if r.Pattern == "" {
		return "other", metrics.Unmatched
	}
	path := r.Pattern
	if _, p, ok := strings.Cut(path, " "); ok {
		path = p
	}
	switch {
	case strings.HasPrefix(path, crmapi.Prefix):
		face = "crmapi"
	case path == partnerapi.Path:
		face = "partner"
	case strings.HasPrefix(path, careapi.Prefix):
		face = "care"
	case path == console.Root || strings.HasPrefix(path, console.Prefix):
		face = "console"
	case strings.HasPrefix(path, ocpapi.Prefix):
		face = "ocp"
	case path == rpcapi.Prefix || strings.HasPrefix(path, rpcapi.Prefix+"/") || path == rpcapi.OpenRPCPath:
		face = "jsonrpc"
	case path == OpenAPIPath:
		face = "docs"
	case path == "/healthz" || path == "/readyz":
		face = "health"
	case path == "/metrics":
		face = "metrics"
	default:
		face = "other"
	}
	return face, r.Pattern
}

// ServeMetrics serves the scrape alone on ln until ctx ends, for a server
// whose /metrics is kept off the main address (Config.MetricsElsewhere).
// Its scrapes are counted like any other request.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, s.Metrics.Handler())
	var h http.Handler = mux
	h = middleware.Recover(s.cfg.Log, h)
	h = middleware.Metrics(s.Metrics, routeLabels, h)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
