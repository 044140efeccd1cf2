package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"carebridge/internal/middleware"
)

func TestRedactQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", ""},
		{"token", "token=ABC", "token=REDACTED"},
		{"Token in another case", "Token=ABC", "Token=REDACTED"},
		{"TOKEN in upper case", "TOKEN=ABC", "TOKEN=REDACTED"},
		{"password", "password=hunter2", "password=REDACTED"},
		{"access_token", "access_token=eyJhbGciOi", "access_token=REDACTED"},
		{"client_secret", "client_secret=s3cr3t", "client_secret=REDACTED"},
		{"secret among others", "billing_system_customer_identifier=pci123&token=ABC&fields_set=a,b",
			"billing_system_customer_identifier=pci123&token=REDACTED&fields_set=a,b"},
		{"every secret at once", "token=1&password=2&access_token=3&client_secret=4",
			"token=REDACTED&password=REDACTED&access_token=REDACTED&client_secret=REDACTED"},
		{"repeated token", "token=ABC&token=DEF", "token=REDACTED&token=REDACTED"},
		{"other parameters untouched", "number_of_results=5&charge_status=PROCESSED&offset=0",
			"number_of_results=5&charge_status=PROCESSED&offset=0"},
		{"names that merely contain token", "mytoken=ABC&token_type=bearer&tokens=x",
			"mytoken=ABC&token_type=bearer&tokens=x"},
		{"secret name as a value", "a=token&b=password", "a=token&b=password"},
		{"parameter without value", "token", "token"},
		{"parameter without value among others", "debug&token=ABC&verbose", "debug&token=REDACTED&verbose"},
		{"empty value", "token=", "token=REDACTED"},
		{"value with =", "token=A=B", "token=REDACTED"},
		{"value with encoded characters", "password=p%40ss%26word", "password=REDACTED"},
		{"percent-encoded name", "tok%65n=ABC", "tok%65n=REDACTED"},
		{"malformed escape in the value", "token=%zzABC", "token=REDACTED"},
		{"malformed escape in another parameter", "a=%zz&token=ABC", "a=%zz&token=REDACTED"},
		{"malformed escape in the name", "b%zz=1&password=x", "b%zz=1&password=REDACTED"},
		{"empty parts", "&&token=ABC&", "&&token=REDACTED&"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := middleware.RedactQuery(tt.raw); got != tt.want {
				t.Errorf("RedactQuery(%q) = %q; want %q", tt.raw, got, tt.want)
			}
		})
	}
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// serveRequestID runs one request through RequestID and returns the id the
// handler saw and the response.
func serveRequestID(t *testing.T, header []string) (seen string, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := middleware.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = middleware.RequestIDFrom(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/crmapi/rest/v2/netflix/promotions/list", nil)
	if header != nil {
		req.Header[middleware.RequestIDHeader] = header // raw, so invalid bytes survive
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return seen, rec
}

func TestRequestIDKeepsValidIncoming(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"abc-123",
		"0f9c2d1e-8b7a-4c3d-9e8f-7a6b5c4d3e2f",
		strings.Repeat("x", 64),
		"!~{}[]:/=+_.",
		`x","level":"ERROR`, // printable; the JSON log handler escapes it
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			seen, rec := serveRequestID(t, []string{id})
			if seen != id {
				t.Errorf("RequestIDFrom = %q; want the incoming %q", seen, id)
			}
			if got := rec.Header().Get(middleware.RequestIDHeader); got != id {
				t.Errorf("response %s = %q; want %q", middleware.RequestIDHeader, got, id)
			}
		})
	}
}

func TestRequestIDReplacesInvalidIncoming(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, id string }{
		{"65 characters", strings.Repeat("x", 65)},
		{"space", "abc 123"},
		{"leading space", " abc"},
		{"tab", "abc\t123"},
		{"newline", "abc\n123"},
		{"NUL", "abc\x00"},
		{"DEL", "abc\x7f"},
		{"non-ASCII", "abcé"},
		{"invalid UTF-8", "abc\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen, rec := serveRequestID(t, []string{tt.id})
			if seen == tt.id {
				t.Fatalf("RequestIDFrom = the invalid incoming id %q; want a new one", seen)
			}
			if !generatedID.MatchString(seen) {
				t.Errorf("RequestIDFrom = %q; want 16 lower-case hex characters", seen)
			}
			if got := rec.Header().Get(middleware.RequestIDHeader); got != seen {
				t.Errorf("response %s = %q; want %q", middleware.RequestIDHeader, got, seen)
			}
		})
	}
}

func TestRequestIDGeneratesWhenAbsent(t *testing.T) {
	t.Parallel()
	seen1, rec1 := serveRequestID(t, nil)
	seen2, _ := serveRequestID(t, nil)
	if !generatedID.MatchString(seen1) {
		t.Errorf("RequestIDFrom = %q; want 16 lower-case hex characters", seen1)
	}
	if got := rec1.Header().Get(middleware.RequestIDHeader); got != seen1 {
		t.Errorf("response %s = %q; want %q", middleware.RequestIDHeader, got, seen1)
	}
	if seen1 == seen2 {
		t.Errorf("two requests got the same id %q", seen1)
	}
	empty, _ := serveRequestID(t, []string{""})
	if !generatedID.MatchString(empty) {
		t.Errorf("RequestIDFrom with an empty header = %q; want a generated id", empty)
	}
}

func TestRequestIDFromWithoutMiddleware(t *testing.T) {
	t.Parallel()
	if got := middleware.RequestIDFrom(context.Background()); got != "" {
		t.Errorf("RequestIDFrom(background) = %q; want empty", got)
	}
}

// logRecords decodes the JSON lines a slog.JSONHandler wrote.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("log is not JSON lines: %v\n%s", err, buf)
		}
		out = append(out, m)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		handler    http.HandlerFunc
		wantStatus int
		wantBytes  int
		wantPath   string
		wantQuery  string
		secrets    []string
	}{
		{
			name:   "GET with a token in the query",
			method: http.MethodGet,
			target: "/crmapi/rest/v2/netflix/subscriptions/show?token=33586DF3842E4AE5BABF43C43269E8F8&billing_system_customer_identifier=pci123",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, "nope")
			},
			wantStatus: http.StatusNotFound,
			wantBytes:  4,
			wantPath:   "/crmapi/rest/v2/netflix/subscriptions/show",
			wantQuery:  "token=REDACTED&billing_system_customer_identifier=pci123",
			secrets:    []string{"33586DF3842E4AE5BABF43C43269E8F8"},
		},
		{
			name:   "POST with secrets in the body",
			method: http.MethodPost,
			target: "/crmapi/rest/v2/authentication/token",
			body:   `{"username":"alice","password":"hunter2-secret","organisation":"acme"}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, `{"data":{}}`)
			},
			wantStatus: http.StatusOK,
			wantBytes:  len(`{"data":{}}`),
			wantPath:   "/crmapi/rest/v2/authentication/token",
			wantQuery:  "",
			secrets:    []string{"hunter2-secret"},
		},
		{
			name:       "handler writes nothing",
			method:     http.MethodGet,
			target:     "/health?password=p4ss",
			handler:    func(w http.ResponseWriter, r *http.Request) {},
			wantStatus: http.StatusOK,
			wantBytes:  0,
			wantPath:   "/health",
			wantQuery:  "password=REDACTED",
			secrets:    []string{"p4ss"},
		},
		{
			name:   "first status wins",
			method: http.MethodDelete,
			target: "/x",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, "down")
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBytes:  4,
			wantPath:   "/x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			h := middleware.RequestID(middleware.AccessLog(log, tt.handler))
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			req.Header.Set(middleware.RequestIDHeader, "req-42")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Errorf("response status = %d; want %d (the recorder must pass it through)", rec.Code, tt.wantStatus)
			}
			for _, s := range tt.secrets {
				if strings.Contains(buf.String(), s) {
					t.Errorf("the log contains the secret %q:\n%s", s, buf.String())
				}
			}
			recs := logRecords(t, &buf)
			if len(recs) != 1 {
				t.Fatalf("got %d log records; want 1:\n%s", len(recs), buf.String())
			}
			r := recs[0]
			want := map[string]any{
				"level":      "INFO",
				"msg":        "request",
				"request_id": "req-42",
				"method":     tt.method,
				"path":       tt.wantPath,
				"query":      tt.wantQuery,
				"status":     float64(tt.wantStatus),
				"bytes":      float64(tt.wantBytes),
				"remote":     req.RemoteAddr,
			}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("log %s = %#v; want %#v", k, r[k], v)
				}
			}
			if ms, ok := r["duration_ms"].(float64); !ok || ms < 0 {
				t.Errorf("log duration_ms = %#v; want milliseconds as a number", r["duration_ms"])
			}
			if _, ok := r["duration"]; ok {
				t.Error("log has a duration without its unit in the key")
			}
		})
	}
}

func TestRecoverTurnsPanicInto500(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     any
		wantPanic string
	}{
		{"string", "boom", "boom"},
		{"error", errors.New("nil map write"), "nil map write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			h := middleware.RequestID(middleware.Recover(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				panic(tt.value)
			})))
			req := httptest.NewRequest(http.MethodGet, "/crmapi/rest/v2/netflix/promotions/list?token=SECRETTOKEN", nil)
			req.Header.Set(middleware.RequestIDHeader, "req-7")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status = %d; want 500", rec.Code)
			}
			if body := rec.Body.String(); body != "internal error\n" {
				t.Errorf("body = %q; want %q", body, "internal error\n")
			}
			if strings.Contains(rec.Body.String(), tt.wantPanic) {
				t.Errorf("the body reveals the panic value: %q", rec.Body.String())
			}
			if strings.Contains(buf.String(), "SECRETTOKEN") {
				t.Errorf("the log contains the token:\n%s", buf.String())
			}
			recs := logRecords(t, &buf)
			if len(recs) != 1 {
				t.Fatalf("got %d log records; want 1:\n%s", len(recs), buf.String())
			}
			want := map[string]any{
				"level":      "ERROR",
				"msg":        "panic serving request",
				"request_id": "req-7",
				"path":       "/crmapi/rest/v2/netflix/promotions/list",
				"panic":      tt.wantPanic,
			}
			for k, v := range want {
				if recs[0][k] != v {
					t.Errorf("log %s = %#v; want %#v", k, recs[0][k], v)
				}
			}
		})
	}
}

func TestRecoverPassesThrough(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := middleware.Recover(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "ok")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusCreated || rec.Body.String() != "ok" {
		t.Errorf("response = %d %q; want 201 \"ok\"", rec.Code, rec.Body.String())
	}
	if buf.Len() != 0 {
		t.Errorf("log = %q; want nothing", buf.String())
	}
}

func TestRecoverRepanicsErrAbortHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	h := middleware.Recover(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	rec := httptest.NewRecorder()
	got := func() (v any) {
		defer func() { v = recover() }()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return nil
	}()
	if got != http.ErrAbortHandler {
		t.Fatalf("recovered %v; want http.ErrAbortHandler re-panicked", got)
	}
	if rec.Code == http.StatusInternalServerError || rec.Body.Len() != 0 {
		t.Errorf("response = %d %q; want nothing written for an aborted handler", rec.Code, rec.Body.String())
	}
	if buf.Len() != 0 {
		t.Errorf("log = %q; want nothing for an aborted handler", buf.String())
	}
}

func TestRedactAttr(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: middleware.RedactAttr}))
	log.Info("x", "token", "T0KEN", "Password", "hunter2", "authorization", "Bearer abc", "client_secret", "cs",
		"access_token", "at", "secret", "s3", "user", "alice")
	out := buf.String()
	for _, leaked := range []string{"T0KEN", "hunter2", "Bearer abc", `"cs"`, `"at"`, "s3"} {
		if strings.Contains(out, leaked) {
			t.Errorf("log line leaks %q: %s", leaked, out)
		}
	}
	if !strings.Contains(out, `"user":"alice"`) || strings.Count(out, "REDACTED") != 6 {
		t.Errorf("log line %s: want six REDACTED values and the user kept", out)
	}
}
