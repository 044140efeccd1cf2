package face_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/face"
	"carebridge/internal/host"
)

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	face.WriteJSON(w, http.StatusCreated, map[string]int{"a": 1}, []byte(`{"internal":true}`))
	if w.Code != http.StatusCreated || w.Body.String() != `{"a":1}` {
		t.Errorf("answered %d %s", w.Code, w.Body)
	}
	if ct, cl := w.Header().Get("Content-Type"), w.Header().Get("Content-Length"); ct != "application/json" || cl != "7" {
		t.Errorf("Content-Type %q, Content-Length %q", ct, cl)
	}

	// An unencodable value is a programming error: the face's own body
	// for an internal error, with its length.
	w = httptest.NewRecorder()
	face.WriteJSON(w, http.StatusOK, func() {}, []byte(`{"internal":true}`))
	if w.Code != http.StatusInternalServerError || w.Body.String() != `{"internal":true}` || w.Header().Get("Content-Length") != "17" {
		t.Errorf("unencodable: answered %d %s (Content-Length %s)", w.Code, w.Body, w.Header().Get("Content-Length"))
	}
}

// An internal error is logged with the request's path, unless the client
// hung up first (the access log records that as 499).
func TestLogInternal(t *testing.T) {
	t.Parallel()
	for _, gone := range []bool{true, false} {
		var buf bytes.Buffer
		ctx, cancel := context.WithCancel(t.Context())
		if gone {
			cancel()
		}
		r := httptest.NewRequestWithContext(ctx, "GET", "/some/path", nil)
		face.LogInternal(slog.New(slog.NewTextHandler(&buf, nil)), r, "face: internal error", errors.New("disk on fire"))
		cancel()
		out := buf.String()
		if logged := strings.Contains(out, "level=ERROR"); logged == gone {
			t.Errorf("client gone %v: logged at ERROR %v; want %v\n%s", gone, logged, !gone, out)
		}
		if !gone && (!strings.Contains(out, "path=/some/path") || !strings.Contains(out, "request_id=") || !strings.Contains(out, `err="disk on fire"`)) {
			t.Errorf("the log line lacks the path, the request id or the error: %s", out)
		}
	}
}

type plugin string

func (p plugin) Callsign() string  { return string(p) }
func (p plugin) ClassName() string { return string(p) }
func (plugin) Version() string     { return "1.0.0" }

func TestActive(t *testing.T) {
	t.Parallel()
	h := host.New()
	if err := h.Register(plugin("Netflix")); err != nil {
		t.Fatal(err)
	}
	if err := face.Active(h, "Netflix", "Netflix"); err != nil {
		t.Fatalf("active plugin: %v", err)
	}
	if _, err := h.SetState("Netflix", host.Deactivated); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Netflix": "The Netflix service is not active.", "": "The service is not active."} {
		err := face.Active(h, "Netflix", name)
		if carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE || carebridge.ErrorMessage(err) != want {
			t.Errorf("name %q: %v (%s), want EUNAVAILABLE %q", name, err, carebridge.ErrorCode(err), want)
		}
	}
}

func TestFailure(t *testing.T) {
	t.Parallel()
	table := map[string]int{carebridge.ENOTFOUND: 404, carebridge.EINTERNAL: 500}
	for err, want := range map[error]int{
		carebridge.Errorf(carebridge.ENOTFOUND, "No such thing."):            404,
		carebridge.Errorf(carebridge.ECONFLICT, "Not in this face's table."): 500,
		errors.New("disk on fire"):                                           500, // no code at all
	} {
		if got := face.Failure(table, err); got != want {
			t.Errorf("%v: %d, want %d", err, got, want)
		}
	}
}
