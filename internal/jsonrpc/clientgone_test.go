package jsonrpc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A call that failed because its client went away (the HTTP request or the
// WebSocket closed) is not logged as an internal error; one whose client
// is still there is.
func TestToErrorClientGone(t *testing.T) {
	t.Parallel()
	for _, gone := range []bool{true, false} {
		var buf bytes.Buffer
		d := NewDispatcher(slog.New(slog.NewTextHandler(&buf, nil)))
		ctx, cancel := context.WithCancel(t.Context())
		if gone {
			cancel()
		}
		je := d.toError(ctx, fmt.Errorf("query: %w", context.Canceled))
		cancel()
		if je == nil || je.Code != CodeInternal {
			t.Fatalf("toError = %v; want an internal error", je)
		}
		if logged := strings.Contains(buf.String(), "level=ERROR"); logged == gone {
			t.Errorf("client gone %v: logged at ERROR %v; want %v\n%s", gone, logged, !gone, buf.String())
		}
	}
}
