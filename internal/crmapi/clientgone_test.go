package crmapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request that failed because its client hung up is not logged as an
// internal error (the access log records it as 499); one whose client is
// still there is.
func TestWriteErrorClientGone(t *testing.T) {
	t.Parallel()
	for _, gone := range []bool{true, false} {
		var buf bytes.Buffer
		h := &Handler{log: slog.New(slog.NewTextHandler(&buf, nil))}
		ctx, cancel := context.WithCancel(t.Context())
		if gone {
			cancel()
		}
		r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
		h.writeError(httptest.NewRecorder(), r, fmt.Errorf("read: %w", context.Canceled))
		cancel()
		if logged := strings.Contains(buf.String(), "level=ERROR"); logged == gone {
			t.Errorf("client gone %v: logged at ERROR %v; want %v\n%s", gone, logged, !gone, buf.String())
		}
	}
}
