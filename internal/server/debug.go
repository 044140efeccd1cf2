package server

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// ServeDebug answers Go's profiling endpoints (/debug/pprof/…) on ln until
// ctx ends. It is a listener of its own, never the API's, so that profiles
// (which show request data in memory) are reachable only where the
// operator chose; the CLI allows loopback addresses only.
func ServeDebug(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
