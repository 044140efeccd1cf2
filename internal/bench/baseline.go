package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// BaselineCommand is the hidden CLI command that runs ServeBaseline: the
// bench starts it as a child process, like the server under test, so that
// both sides of the ratio pay the same costs of a second process (the
// scheduler handing work between two runtimes); in the bench's own
// process the bare handler answers about a third faster.
const BaselineCommand = "bench-baseline"

// baselineBody is the bare handler's small JSON object.
var baselineBody = []byte(`{"status":"ok","id":1649}`)

// ServeBaseline answers every request with a small JSON object on addr
// until ctx ends, and prints "listening on http://…" to stdout as `serve`
// does. The CLI allows loopback addresses only.
func ServeBaseline(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(baselineBody)
	})}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	fmt.Fprintf(stdout, "bare handler listening on http://%s\n", ln.Addr())
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
