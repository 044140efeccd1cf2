// Package middleware wraps every route of the server: request ids, access
// logs with secrets redacted, request metrics, and panic recovery.
package middleware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type ctxKey struct{}

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// RequestIDFrom returns the id RequestID gave the request.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// RequestID keeps a caller's X-Request-Id when it is short and printable,
// otherwise makes one, and echoes it in the response.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validID(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	switched func() // when set, called once the status 101 is written
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
	if code == http.StatusSwitchingProtocols && r.switched != nil {
		r.switched()
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// StatusClientClosedRequest is the status the access log records for a
// request whose client went away before it was answered (nginx's 499), so
// that disconnects never count as the server's 5xx.
const StatusClientClosedRequest = 499

// ClientGone tells whether the client of a request has gone away: the
// server cancels a request's context only when its connection closes
// (shutdown does not cancel it). A face's error writer uses it to leave a
// failure that the disconnect caused out of its error log.
func ClientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// AccessLog logs one line per request. Query values of parameters that
// carry secrets are replaced by "REDACTED"; bodies are never logged. A
// request that failed (5xx, or no answer) after its client went away is
// logged with status 499: the failure is the client's doing. The duration
// is in milliseconds, as its key says.
func AccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		status := answered(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("query", RedactQuery(r.URL.RawQuery)),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// secretParams are query parameters, and log attributes, whose values never
// reach a log.
var secretParams = map[string]bool{
	"token": true, "password": true, "access_token": true, "client_secret": true,
	"secret": true, "authorization": true,
}

// RedactAttr is a slog ReplaceAttr function that writes REDACTED for the
// value of any attribute named like a secret.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	if secretParams[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "REDACTED")
	}
	return a
}

// RedactQuery returns a raw query with secret values replaced. It works on
// the raw text, splitting on both & and ; (some clients use either), so
// that malformed queries are redacted too.
func RedactQuery(raw string) string {
	var b strings.Builder
	for raw != "" {
		part := raw
		sep := strings.IndexAny(raw, "&;")
		if sep >= 0 {
			part, raw = raw[:sep], raw[sep:]
		} else {
			raw = ""
		}
		k, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && secretParams[strings.ToLower(name)] {
			part = k + "=REDACTED"
		}
		b.WriteString(part)
		if sep >= 0 {
			b.WriteByte(raw[0])
			raw = raw[1:]
		}
	}
	return b.String()
}

// Recover turns a panic into a logged, plain 500 so one bad request cannot
// take the process down. It is the last resort: faces recover on their own
// to answer in their error format.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request",
					"request_id", RequestIDFrom(r.Context()), "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
