package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/server"
)

// On shutdown the server closes its WebSockets with "going away" (they are
// hijacked, so http.Server.Shutdown alone would leave them open) and Serve
// returns only when their handlers have ended.
func TestShutdownClosesWebSockets(t *testing.T) {
	t.Parallel()
	srv, stores := newServer(t, server.Config{ShutdownTimeout: 10 * time.Second})
	if err := stores.Tenancy.CreateAdminToken(t.Context(), carebridge.AdminToken{Name: "t", Role: carebridge.RoleAdmin, CreatedAt: time.Now()}, auth.HashToken("test-admin-token")); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	c, _, err := websocket.Dial(t.Context(), "ws://"+ln.Addr().String()+"/jsonrpc?token=test-admin-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(t.Context(), websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":1,"method":"Controller.1.status"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(t.Context()); err != nil {
		t.Fatalf("no answer before shutdown: %v", err)
	}

	cancel()
	rctx, rcancel := context.WithTimeout(context.Background(), wait)
	defer rcancel()
	_, _, err = c.Read(rctx)
	if status := websocket.CloseStatus(err); status != websocket.StatusGoingAway {
		t.Fatalf("read after shutdown: %v (status %d), want a close with going away", err, status)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Serve did not return")
	}
}
