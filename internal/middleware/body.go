package middleware

import (
	"errors"
	"io"
	"net/http"
)

// ReadBody reads a request body of at most limit bytes. A body declared
// larger (Content-Length) is refused at once, without waiting for bytes
// that will be refused anyway; one that turns out larger is refused when it
// passes the limit. Either way the error is an *http.MaxBytesError, and the
// connection is not kept alive.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// TooLarge reports whether err is ReadBody refusing a body over its limit,
// which a face answers 413 rather than 400.
func TooLarge(err error) bool {
	var tooLarge *http.MaxBytesError
	return errors.As(err, &tooLarge)
}
