package rpcapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"carebridge"
)

// cancelledLookup is a tenancy store whose admin-token lookup fails the way
// a query does when its context is cancelled.
type cancelledLookup struct{ Platform }

func (cancelledLookup) AdminToken(ctx context.Context, _ []byte) (carebridge.AdminToken, error) {
	if err := ctx.Err(); err != nil {
		return carebridge.AdminToken{}, fmt.Errorf("admin token lookup: %w", err)
	}
	return carebridge.AdminToken{}, fmt.Errorf("disk on fire")
}

// An admin-token lookup cut short because the client hung up is not logged
// as an error; one that failed for the server's own reasons is.
func TestAuthenticateClientGone(t *testing.T) {
	t.Parallel()
	for _, gone := range []bool{true, false} {
		var buf bytes.Buffer
		h := &Handler{cfg: Config{Tenancy: cancelledLookup{}}, log: slog.New(slog.NewTextHandler(&buf, nil))}
		ctx, cancel := context.WithCancel(t.Context())
		if gone {
			cancel()
		}
		if _, ok := h.authenticate(httptest.NewRequestWithContext(ctx, "POST", Prefix, nil), "some-token"); ok {
			t.Fatal("authenticated without a token record")
		}
		cancel()
		if logged := strings.Contains(buf.String(), "level=ERROR"); logged == gone {
			t.Errorf("client gone %v: logged at ERROR %v; want %v\n%s", gone, logged, !gone, buf.String())
		}
	}
}
