package middleware_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"carebridge/internal/middleware"
)

// lockedBuffer is a log sink the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) records(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return logRecords(t, &b.buf)
}

// accessLogServer serves inner behind AccessLog over real HTTP; done
// receives once the access line of a request has been written.
func accessLogServer(t *testing.T, inner http.Handler) (*httptest.Server, *lockedBuffer, chan struct{}) {
	t.Helper()
	buf := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(buf, nil))
	done := make(chan struct{}, 1)
	h := middleware.AccessLog(log, inner)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return srv, buf, done
}

func waitLogged(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the request was never logged")
	}
}

// A client that hangs up before its answer is the client's doing: the
// handler's failure (a 500 caused by the cancelled context) is logged as
// 499 at INFO, so that it never reaches 5xx alerting.
func TestAccessLogClientGoneIs499(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv, buf, done := accessLogServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // a query that the disconnect cancels
		http.Error(w, r.Context().Err().Error(), http.StatusInternalServerError)
	}))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/ocp/customers/1649", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request was answered; the client should have hung up first")
	}
	waitLogged(t, done)
	recs := buf.records(t)
	if len(recs) != 1 {
		t.Fatalf("got %d log records; want 1", len(recs))
	}
	if recs[0]["status"] != float64(middleware.StatusClientClosedRequest) || recs[0]["level"] != "INFO" {
		t.Errorf("logged status %v at %v; want 499 at INFO", recs[0]["status"], recs[0]["level"])
	}
}

// A 500 to a client that is still there stays a 500, and an answer the
// client received stays what it was.
func TestAccessLogKeepsStatusOfPresentClient(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		srv, buf, done := accessLogServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
		}))
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		waitLogged(t, done)
		if got := buf.records(t)[0]["status"]; got != float64(status) {
			t.Errorf("logged status %v; want %d", got, status)
		}
	}
}

func TestClientGone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	if middleware.ClientGone(ctx) {
		t.Error("ClientGone of a live context = true")
	}
	cancel()
	if !middleware.ClientGone(ctx) {
		t.Error("ClientGone of a cancelled context = false")
	}
	expired, stop := context.WithTimeout(t.Context(), -time.Second)
	defer stop()
	if middleware.ClientGone(expired) {
		t.Error("ClientGone of a context past its deadline = true; a timeout is the server's")
	}
}

// A client that hangs up half-way through its body leaves the handler an
// unreadable body, which it answers 400: logged as 499, the client's
// doing, not as a bad request.
func TestAccessLogBodyCutShortIs499(t *testing.T) {
	t.Parallel()
	srv, buf, done := accessLogServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			<-r.Context().Done() // the server notices the closed connection
			http.Error(w, "The request could not be read.", http.StatusBadRequest)
		}
	}))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /jsonrpc HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
	conn.Close()
	waitLogged(t, done)
	if got := buf.records(t)[0]["status"]; got != float64(middleware.StatusClientClosedRequest) {
		t.Errorf("logged status %v; want 499", got)
	}
}
