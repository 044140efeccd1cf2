package middleware_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"carebridge/internal/middleware"
)

// unread fails the test if the body is read at all.
type unread struct{ t *testing.T }

func (u unread) Read([]byte) (int, error) {
	u.t.Error("a body declared too large was read")
	return 0, errors.New("read")
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	// Declared over the limit: refused before a byte is read, so a client
	// that declares 2 MB and sends 2 bytes is not waited for.
	r := httptest.NewRequest(http.MethodPost, "/", unread{t})
	r.ContentLength = 2_000_000
	w := httptest.NewRecorder()
	_, err := middleware.ReadBody(w, r, 1<<20)
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != 1<<20 {
		t.Fatalf("declared 2 MB: %v, want a MaxBytesError at 1 MiB", err)
	}
	if w.Header().Get("Connection") != "close" {
		t.Error("the connection is kept alive after a refused body")
	}

	// Undeclared (chunked) and over the limit: refused at the limit.
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 11)))
	r.ContentLength = -1
	if _, err := middleware.ReadBody(httptest.NewRecorder(), r, 10); !errors.As(err, &tooLarge) {
		t.Fatalf("11 bytes over a limit of 10: %v", err)
	}

	// Within the limit: read whole.
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	if body, err := middleware.ReadBody(httptest.NewRecorder(), r, 10); err != nil || string(body) != "{}" {
		t.Fatalf("ReadBody = %q, %v", body, err)
	}
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 11)))
	r.ContentLength = -1
	_, err := middleware.ReadBody(httptest.NewRecorder(), r, 10)
	if !middleware.TooLarge(err) {
		t.Errorf("a body over the limit: TooLarge(%v) is false", err)
	}
	if middleware.TooLarge(errors.New("read: connection reset")) || middleware.TooLarge(nil) {
		t.Error("TooLarge is true for a failure other than the limit")
	}
}
