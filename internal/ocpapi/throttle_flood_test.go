package ocpapi_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"carebridge/internal/ocp"
	"carebridge/internal/ocpapi"
)

// peerHeader carries, from test clients to throttledFace, the address the
// request is to come from, so that one machine can play many clients.
const peerHeader = "X-Test-Peer"

// throttledFace serves the OCP face of e's server with throttle tables of
// capacity keys, with each request's address taken from peerHeader.
type throttledFace struct {
	e   *env
	h   *ocpapi.Handler
	url string
}

func newThrottledFace(t *testing.T, e *env, capacity int) *throttledFace {
	t.Helper()
	h := ocpapi.New(e.app.OCP, e.app.Host, "", slog.New(slog.DiscardHandler))
	h.SetThrottleKeys(capacity)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if peer := r.Header.Get(peerHeader); peer != "" {
			r.RemoteAddr = net.JoinHostPort(peer, "40000")
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &throttledFace{e: e, h: h, url: srv.URL}
}

// post sends a token request with form credentials from peer and returns
// the status.
func (f *throttledFace) post(peer, clientID, secret string) int {
	f.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/v1/oauth/token", strings.NewReader(clientForm(clientID, secret).Encode()))
	if err != nil {
		f.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(peerHeader, peer)
	return f.e.do(req).Status
}

// fail sends a wrong secret, which must be judged and refused.
func (f *throttledFace) fail(peer, clientID string) {
	f.e.t.Helper()
	if status := f.post(peer, clientID, "wrong secret"); status != http.StatusUnauthorized {
		f.e.t.Fatalf("wrong secret for %s from %s: HTTP %d; want 401", clientID, peer, status)
	}
}

// wantLens checks how many keys the throttles track.
func (f *throttledFace) wantLens(what string, clients, addresses int) {
	f.e.t.Helper()
	if c, a := f.h.ThrottleLens(); c != clients || a != addresses {
		f.e.t.Errorf("%s: throttles track %d client ids and %d addresses; want %d and %d", what, c, a, clients, addresses)
	}
}

// peerTransport sends every request as from peer.
type peerTransport string

func (p peerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(peerHeader, string(p))
	return http.DefaultTransport.RoundTrip(r)
}

// libraryStatus asks for a token through x/oauth2 from peer and returns the
// status of the answer.
func (f *throttledFace) libraryStatus(peer, clientID, secret string) int {
	f.e.t.Helper()
	cfg := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: f.url + "/v1/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: peerTransport(peer)})
	_, err := cfg.Token(ctx)
	var re *oauth2.RetrieveError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &re):
		return re.Response.StatusCode
	}
	f.e.t.Fatalf("Token for %s: %v", clientID, err)
	return 0
}

const cheapSecret = "cheap but correct"

// addApps creates applications app-<id> for ids first.. with cheapSecret,
// hashed at the smallest argon2id cost the verifier accepts so that tests
// can judge hundreds of requests quickly, and returns their client ids.
func (f *throttledFace) addApps(first, n int) []string {
	f.e.t.Helper()
	salt := []byte("flood-test-salt!")
	key := argon2.IDKey([]byte(cheapSecret), salt, 1, 8, 1, 16)
	b64 := base64.RawStdEncoding
	hash := fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
	ids := make([]string, n)
	for i := range ids {
		app := ocp.Application{AppID: int64(first + i), Name: fmt.Sprintf("flood %d", first+i), ClientID: fmt.Sprintf("app-%d", first+i), ClientSecretHash: hash, CreatedAt: start}
		if _, err := f.e.app.Stores.OCP.CreateApplication(context.Background(), app, nil); err != nil {
			f.e.t.Fatal(err)
		}
		ids[i] = app.ClientID
	}
	return ids
}

// lockAddress fails 50 requests from peer (its limit) over five
// applications of its own, which lock too.
func (f *throttledFace) lockAddress(peer string, firstApp int) {
	f.e.t.Helper()
	apps := f.addApps(firstApp, 5)
	for i := range 50 {
		f.fail(peer, apps[i%5])
	}
}

// A flood of more new client ids and addresses than the throttle tables
// hold must not push out a lock: the locked client and the locked address
// stay refused, even with the right secret, and the tables stay at their
// capacity.
func TestTokenFloodKeepsLocks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const capacity = 200
	f := newThrottledFace(t, e, capacity)
	victim := f.addApps(1000, 1)[0]
	for range 10 {
		f.fail("192.0.2.1", victim)
	}
	const lockedAddr = "198.51.100.1"
	f.lockAddress(lockedAddr, 1100)

	for i, id := range f.addApps(2000, capacity+100) {
		// Each from its own address, so that no address limit stops it.
		f.fail(fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), id)
	}
	f.wantLens("after the flood", capacity, capacity)
	if status := f.libraryStatus("192.0.2.200", victim, cheapSecret); status != http.StatusTooManyRequests {
		t.Errorf("locked client with the right secret after the flood: HTTP %d; want 429", status)
	}
	if status := f.libraryStatus(lockedAddr, demoClientID, demoSecret); status != http.StatusTooManyRequests {
		t.Errorf("locked address after the flood: HTTP %d; want 429", status)
	}
}

// Requests refused by the throttle, and requests with a client id too long
// to exist, leave no key in either table: they cannot be used to fill the
// tables, nor to push other keys out.
func TestTokenRefusedPlantsNoKey(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := newThrottledFace(t, e, 1000)
	const lockedAddr = "198.51.100.1"
	f.lockAddress(lockedAddr, 1100)
	f.wantLens("after locking an address", 5, 1)
	for i := range 30 {
		if status := f.post(lockedAddr, fmt.Sprintf("app-%d", 5000+i), "wrong secret"); status != http.StatusTooManyRequests {
			t.Fatalf("new client from the locked address: HTTP %d; want 429", status)
		}
	}
	f.wantLens("after new clients from the locked address", 5, 1)
	for i := range 30 {
		if status := f.post(fmt.Sprintf("203.0.113.%d", i), "app-1100", cheapSecret); status != http.StatusTooManyRequests {
			t.Fatalf("locked client from a new address: HTTP %d; want 429", status)
		}
	}
	f.wantLens("after a locked client from new addresses", 5, 1)
	for i := range 30 {
		id := fmt.Sprintf("%03d", i) + strings.Repeat("x", 126) // 129 bytes
		if status := f.post(fmt.Sprintf("192.0.2.%d", i), id, "wrong secret"); status != http.StatusUnauthorized {
			t.Fatalf("over-long client id: HTTP %d; want 401", status)
		}
	}
	f.wantLens("after over-long client ids", 5, 1)
	// A success leaves nothing either.
	if status := f.post("192.0.2.77", demoClientID, demoSecret); status != http.StatusOK {
		t.Fatalf("demo client: HTTP %d; want 200", status)
	}
	f.wantLens("after a good request", 5, 1)
	// A 128-byte id is judged, and counted, as any other.
	f.fail("192.0.2.78", strings.Repeat("y", 128))
	f.wantLens("after a 128-byte client id", 6, 2)
}
