package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"carebridge/examples/webhookreceiver"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
	"carebridge/internal/webhook"
)

// webhookChildEnv names the database of TestWebhookChild.
const webhookChildEnv = "CAREBRIDGE_WEBHOOK_CHILD_DB"

// TestWebhookChild is the server the crash test kills: it commits a
// subscription, whose event its Deliverer then sends, and waits to be
// killed.
func TestWebhookChild(t *testing.T) {
	db := os.Getenv(webhookChildEnv)
	if db == "" {
		t.Skip("runs only as the child of TestWebhooksSurviveAKill")
	}
	h := startHookServer(t, db, testserver.NewClock(time.Now().UTC().Truncate(time.Second)), false)
	h.create(t, h.caller, "kill-c1")
	select {}
}

// A server killed (SIGKILL) after committing a change, its event's
// delivery in flight, loses nothing: once a server runs again on the
// database, the event is delivered.
func TestWebhooksSurviveAKill(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db string) {
		setup := testserver.NewOn(t, db, server.Config{})
		op := setup.LoadDemo(t, time.Now())
		secret, err := webhook.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		// The receiver holds the first delivery until the test ends, and
		// takes the others.
		inFlight := make(chan string, 1)
		release := make(chan struct{})
		var mu sync.Mutex
		var handled []webhookreceiver.Event
		take := webhookreceiver.Handler(secret, func(e webhookreceiver.Event) error {
			mu.Lock()
			handled = append(handled, e)
			mu.Unlock()
			return nil
		})
		var first sync.Once
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			held := false
			first.Do(func() { held = true })
			if held {
				inFlight <- r.Header.Get(webhook.DeliveryHeader)
				<-release
				return
			}
			take.ServeHTTP(w, r)
		}))
		t.Cleanup(func() { close(release); srv.Close() })
		if _, err := setup.Stores.Tenancy.CreateEndpoint(context.Background(), webhook.Endpoint{
			OperatorID: op.ID, URL: srv.URL, Events: []webhook.EventType{webhook.SubscriptionChanged}, CreatedAt: time.Now(),
		}, secret); err != nil {
			t.Fatal(err)
		}

		child := exec.Command(os.Args[0], "-test.run=^TestWebhookChild$")
		child.Env = append(os.Environ(), webhookChildEnv+"="+db)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		var id string
		select {
		case id = <-inFlight:
		case <-time.After(hookWait):
			child.Process.Kill()
			t.Fatal("the child's delivery never arrived")
		}
		child.Process.Kill()
		child.Wait()

		// The change was committed; its delivery was not answered.
		view, err := setup.Stores.Netflix.LatestSubscription(context.Background(), op.ID, "kill-c1", time.Now())
		if err != nil || view.Subscription.LifeCycleState != netflix.Effective {
			t.Fatalf("kill-c1 after the kill: %+v, %v", view, err)
		}

		// A server on the database, once the dead one's claim has run
		// out, delivers it.
		clk := testserver.NewClock(time.Now().UTC().Add(2 * time.Minute))
		startHookServer(t, db, clk, false)
		var got []webhookreceiver.Event
		waitFor(t, "the event after the restart", func() bool {
			mu.Lock()
			defer mu.Unlock()
			got = append(got[:0], handled...)
			return len(got) > 0
		}, nil)
		if len(got) != 1 || jsonInt(got[0].ID) != id || got[0].Type != string(webhook.SubscriptionChanged) {
			t.Fatalf("after the restart the receiver got %+v, want event %s again", got, id)
		}
	})
}
