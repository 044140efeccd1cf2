package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"carebridge/internal/server"
	"carebridge/internal/testserver"
)

// wait bounds every wait; a test that reaches it fails, nothing is measured.
const wait = 10 * time.Second

func openStores(t *testing.T, url string) *server.Stores {
	t.Helper()
	s, err := server.OpenStores(t.Context(), url)
	if err != nil {
		t.Fatalf("OpenStores(%q): %v", url, err)
	}
	return s
}

func TestOpenStoresSQLiteForms(t *testing.T) {
	t.Parallel()
	for _, form := range []string{"plain", "sqlite:", "file:"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "sub", "cb.db")
			url := path
			if form != "plain" {
				url = form + path
			}
			s := openStores(t, url)
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("ping: %v", err)
			}
			if _, err := s.Tenancy.CreateOrganisation(t.Context(), "acme", time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("%q did not create %s: %v", url, path, err)
			}
			// Every form names the same file: reopen it plainly.
			s = openStores(t, path)
			defer s.Close()
			if _, err := s.Tenancy.OrganisationByName(t.Context(), "acme"); err != nil {
				t.Errorf("organisation written through %q not found through the plain path: %v", url, err)
			}
		})
	}
}

func TestOpenStoresRefusesOtherSchemes(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, want string }{
		{"mysql://x", "unknown scheme"},
		{"mysql://root:hunter2@db.example/app", "unknown scheme"},
		{"postgres://u:hunter2@localhost/db", "PostgreSQL"},
		{"postgresql://u:hunter2@localhost/db?sslmode=disable", "PostgreSQL"},
	}
	for _, c := range cases {
		s, err := server.OpenStores(t.Context(), c.url)
		if err == nil {
			s.Close()
			t.Errorf("OpenStores(%q) succeeded", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("OpenStores(%q): %v; want it to mention %q", c.url, err, c.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenStores(%q) error shows the password: %v", c.url, err)
		}
		if strings.Contains(c.url, "hunter2") && !strings.Contains(err.Error(), "REDACTED") {
			t.Errorf("OpenStores(%q): %v; want the password shown as REDACTED", c.url, err)
		}
	}
	if _, err := os.Stat("mysql:"); err == nil {
		t.Error(`a file "mysql:" was created`)
	}
}

// newServer builds a server on a fresh SQLite file.
func newServer(t *testing.T, cfg server.Config) (*server.Server, *server.Stores) {
	t.Helper()
	s := testserver.New(t, cfg)
	return s.App, s.Stores
}

func get(t *testing.T, url string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestReadinessFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	srv, stores := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	if resp := get(t, ts.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz with the database open: %d", resp.StatusCode)
	}
	if err := stores.Close(); err != nil {
		t.Fatal(err)
	}
	if resp := get(t, ts.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: %d, want 503", resp.StatusCode)
	}
	if resp := get(t, ts.URL+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz with the database closed: %d, want 200", resp.StatusCode)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler)
	defer ts.Close()

	generated := regexp.MustCompile(`^[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for _, path := range []string{"/healthz", "/readyz", "/crmapi/rest/v2/nope", "/nowhere"} {
		id := get(t, ts.URL+path).Header.Get("X-Request-Id")
		if !generated.MatchString(id) {
			t.Errorf("%s: X-Request-Id %q, want a generated id", path, id)
		}
		if seen[id] {
			t.Errorf("%s: X-Request-Id %q given twice", path, id)
		}
		seen[id] = true
	}

	if id := get(t, ts.URL+"/healthz", "X-Request-Id", "billing-42.a").Header.Get("X-Request-Id"); id != "billing-42.a" {
		t.Errorf("X-Request-Id %q, want the client's billing-42.a echoed", id)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 65), "tab\there"} {
		id := get(t, ts.URL+"/healthz", "X-Request-Id", bad).Header.Get("X-Request-Id")
		if id == bad || !generated.MatchString(id) {
			t.Errorf("client id %q: X-Request-Id %q, want a generated id instead", bad, id)
		}
	}
}

// TestServeGracefulShutdown proves that ending Serve's context stops new
// connections but lets a request in flight finish, uncancelled.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{ShutdownTimeout: time.Minute})
	entered := make(chan struct{})
	release := make(chan struct{})
	ctxErr := make(chan error, 1)
	api := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			api.ServeHTTP(w, r)
			return
		}
		close(entered)
		<-release
		ctxErr <- r.Context().Err()
		w.Write([]byte("done"))
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	// The wrapped API still answers through Serve.
	if resp := get(t, "http://"+addr+"/healthz"); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("/healthz through Serve: %d, request id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}

	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make(chan answer, 1)
	client := &http.Client{Timeout: wait, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	go func() {
		resp, err := client.Get("http://" + addr + "/slow")
		if err != nil {
			answers <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answers <- answer{resp.StatusCode, string(b), err}
	}()
	select {
	case <-entered:
	case <-time.After(wait):
		t.Fatal("the slow request did not reach the handler")
	}

	cancel()
	// Shutdown has begun once the listener refuses new connections.
	deadline := time.Now().Add(wait)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections after the context ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	case a := <-answers:
		t.Fatalf("the in-flight request was answered before it was released: %+v", a)
	default:
	}

	close(release)
	select {
	case a := <-answers:
		if a.err != nil || a.status != http.StatusOK || a.body != "done" {
			t.Errorf("in-flight request: %+v, want 200 done", a)
		}
	case <-time.After(wait):
		t.Fatal("the in-flight request was not answered")
	}
	if err := <-ctxErr; err != nil {
		t.Errorf("the in-flight request's context ended during shutdown: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after a graceful shutdown: %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return after the last request finished")
	}
}

// TestServeListenerError reports a listener that fails without the context
// ending.
func TestServeListenerError(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(t.Context(), ln) }()
	select {
	case err := <-served:
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve on a closed listener: %v, want the accept error", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve on a closed listener did not return")
	}
}

// During the shutdown delay the server still answers, and /readyz says 503
// so that a load balancer takes it out before the listener closes.
func TestReadinessFailsBeforeTheListenerCloses(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, server.Config{ShutdownDelay: 3 * time.Second, ShutdownTimeout: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	get := func(path string) int {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before shutdown = %d", code)
	}
	cancel()
	deadline := time.Now().Add(wait)
	for get("/readyz") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/readyz never turned 503 while the listener was open")
		}
	}
	if code := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz during the shutdown delay = %d, want 200", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return after the delay")
	}
}
