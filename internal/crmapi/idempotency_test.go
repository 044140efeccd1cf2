package crmapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx", to count rows

	"carebridge/internal/apitest"
	"carebridge/internal/idempotency"
	"carebridge/internal/netflix"
	"carebridge/internal/server"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// onEngines runs f on a server of its own for each engine, side by side.
func onEngines(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, db string) { f(t, setupOn(t, db)) })
}

// request is a POST of body; key and bearer are sent when not "".
func (e *env) request(method, body, key, bearer string) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+method, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(idempotencyKey, key)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req
}

// postKey is post with an Idempotency-Key: the session token is added
// unless in sets "token" (nil: send no token).
func (e *env) postKey(method, key string, in map[string]any) reply {
	e.t.Helper()
	params := map[string]any{"token": e.token}
	for k, v := range in {
		params[k] = v
	}
	if params["token"] == nil {
		delete(params, "token")
	}
	return e.do(e.request(method, e.encode(params), key, ""))
}

const idempotencyKey = "Idempotency-Key"

// replayed fails unless r is a replay of first: the same status and bytes,
// marked as a replay.
func replayed(t *testing.T, r, first reply) {
	t.Helper()
	if r.HTTP != first.HTTP || !bytes.Equal(r.Raw, first.Raw) {
		t.Fatalf("repeat = HTTP %d %s, want HTTP %d %s", r.HTTP, r.Raw, first.HTTP, first.Raw)
	}
	if r.Header.Get("Idempotent-Replayed") != "true" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("replay headers = %v", r.Header)
	}
}

// ran fails if r is a replay.
func ran(t *testing.T, r reply) reply {
	t.Helper()
	if v := r.Header.Get("Idempotent-Replayed"); v != "" {
		t.Fatalf("answer marked Idempotent-Replayed: %q", v)
	}
	return r
}

// subscriptions counts the customer's subscriptions, read straight from
// the database.
func (e *env) subscriptions(customer string) int {
	e.t.Helper()
	driver, dsn := "sqlite", "file:"+e.db+"?_pragma=busy_timeout(10000)"
	if strings.HasPrefix(e.db, "postgres") {
		driver, dsn = "pgx", e.db
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var n int
	// customer is a constant of the tests, never a user's text.
	if err := db.QueryRow(`SELECT count(*) FROM netflix_subscriptions WHERE customer_identifier = '` + customer + `'`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

type created struct {
	SubscriptionNumber string `json:"subscription_number"`
	NetflixToken       string `json:"netflix_token"`
}

func createdOf(t *testing.T, r reply) created {
	t.Helper()
	var c created
	if err := json.Unmarshal(r.Data, &c); err != nil || c.NetflixToken == "" {
		t.Fatalf("create answered %s (%v)", r.Raw, err)
	}
	return c
}

func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		params := map[string]any{"billing_system_customer_identifier": "idem-1", "validity_duration": 100}
		first := ran(t, e.postKey("netflix/subscriptions/create", "create-idem-1", params).ok(t))
		replayed(t, e.postKey("netflix/subscriptions/create", "create-idem-1", params), first)
		replayed(t, e.postKey("netflix/subscriptions/create", "create-idem-1", params), first)
		if n := e.subscriptions("idem-1"); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
		// The subscription is the one first created.
		show := e.get("netflix/subscriptions/show", map[string][]string{"billing_system_customer_identifier": {"idem-1"}}).ok(t)
		var shown struct {
			SubscriptionNumber string `json:"subscription_number"`
		}
		json.Unmarshal(show.Data, &shown)
		if shown.SubscriptionNumber != createdOf(t, first).SubscriptionNumber {
			t.Fatalf("show = %s, created %s", show.Data, first.Data)
		}

		// The same key with another body, or on another method, is refused
		// and does nothing.
		other := map[string]any{"billing_system_customer_identifier": "idem-2"}
		e.postKey("netflix/subscriptions/create", "create-idem-1", other).
			fails(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key")
		e.postKey("netflix/subscriptions/cancel", "create-idem-1", map[string]any{"billing_system_customer_identifier": "idem-1"}).
			fails(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
		if n := e.subscriptions("idem-2"); n != 0 {
			t.Fatalf("a refused key created %d subscriptions", n)
		}
		e.get("netflix/subscriptions/show", map[string][]string{"billing_system_customer_identifier": {"idem-1"}}).ok(t)

		// Without a key, a repeat runs again, as before.
		plain := map[string]any{"billing_system_customer_identifier": "idem-3"}
		ran(t, e.post("netflix/subscriptions/create", plain).ok(t))
		ran(t, e.post("netflix/subscriptions/create", plain)).fails(t, http.StatusConflict, "INVALID_STATE")
	})
}

// A failed answer (not a failure of the server) is replayed too: the
// repeat says what the first request found, not what is true now.
func TestIdempotentFailureReplayed(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		suspend := map[string]any{"billing_system_customer_identifier": "idem-4"}
		first := ran(t, e.postKey("netflix/subscriptions/suspend", "suspend-4", suspend))
		first.fails(t, http.StatusNotFound, "NOT_FOUND")
		e.post("netflix/subscriptions/create", suspend).ok(t)
		replayed(t, e.postKey("netflix/subscriptions/suspend", "suspend-4", suspend), first)
		// With a new key it runs.
		ran(t, e.postKey("netflix/subscriptions/suspend", "suspend-4b", suspend).ok(t))
	})
}

// Keys are per user: another user's same key, with the same body, runs.
func TestIdempotencyKeysPerUser(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.addTenant("demo", "other-op", "bob")
		body := e.encode(map[string]any{"billing_system_customer_identifier": "idem-5"})
		a := ran(t, e.do(e.request("netflix/subscriptions/create", body, "shared", e.token)).ok(t))
		b := ran(t, e.do(e.request("netflix/subscriptions/create", body, "shared", bob)).ok(t))
		if createdOf(t, a).SubscriptionNumber == createdOf(t, b).SubscriptionNumber {
			t.Fatalf("bob was answered alice's subscription: %s", b.Raw)
		}
		replayed(t, e.do(e.request("netflix/subscriptions/create", body, "shared", bob)), b)
		replayed(t, e.do(e.request("netflix/subscriptions/create", body, "shared", e.token)), a)
	})
}

func TestIdempotencyKeyValidated(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := map[string]any{"billing_system_customer_identifier": "idem-6"}
	for _, key := range []string{"", strings.Repeat("k", 256), "a\tb", "é"} {
		req := e.request("netflix/subscriptions/create", e.encode(map[string]any{"token": e.token, "billing_system_customer_identifier": "idem-6"}), "", "")
		req.Header[idempotencyKey] = []string{key}
		e.do(req).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "Idempotency-Key")
	}
	req := e.request("netflix/subscriptions/create", e.encode(map[string]any{"token": e.token, "billing_system_customer_identifier": "idem-6"}), "", "")
	req.Header[idempotencyKey] = []string{"a", "b"}
	e.do(req).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "Idempotency-Key")
	if n := e.subscriptions("idem-6"); n != 0 {
		t.Fatalf("a refused key created %d subscriptions", n)
	}
	// 255 printable characters are a key.
	ran(t, e.postKey("netflix/subscriptions/create", strings.Repeat("~", 255), body).ok(t))

	// The logins check a key and ignore it: there is no user to keep it
	// for yet.
	login := map[string]any{"organisation": "demo", "username": "demo", "password": "demo", "token": nil}
	e.postKey("authentication/token", "\t", login).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "Idempotency-Key")
	one := ran(t, e.postKey("authentication/token", "login", login).ok(t))
	two := ran(t, e.postKey("authentication/token", "login", login).ok(t))
	if bytes.Equal(one.Raw, two.Raw) {
		t.Fatal("a login was replayed")
	}
}

// lostAnswer is a client's transport whose answers never arrive: the
// request is served, then the client sees a timeout.
type lostAnswer struct{ base http.RoundTripper }

func (l lostAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := l.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil, timeout{}
}

type timeout struct{}

func (timeout) Error() string   { return "simulated timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }

var _ net.Error = timeout{}

// A retried create after a simulated timeout returns the same token and
// one subscription.
func TestRetryAfterTimeout(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		body := e.encode(map[string]any{"token": e.token, "billing_system_customer_identifier": "idem-7", "validity_duration": 100})
		lossy := &http.Client{Transport: lostAnswer{apitest.Transport(t, http.DefaultTransport)}}
		_, err := lossy.Do(e.request("netflix/subscriptions/create", body, "retry-7", ""))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("the first attempt = %v, want a timeout", err)
		}
		retry := e.do(e.request("netflix/subscriptions/create", body, "retry-7", "")).ok(t)
		if retry.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("the retry ran again")
		}
		again := e.do(e.request("netflix/subscriptions/create", body, "retry-7", "")).ok(t)
		if createdOf(t, retry).NetflixToken != createdOf(t, again).NetflixToken {
			t.Fatalf("two tokens: %s, %s", retry.Data, again.Data)
		}
		if n := e.subscriptions("idem-7"); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
	})
}

// The session token is not part of what a key stands for: a client that
// logged in again between retries, and sends the new token in the body,
// gets the first answer; so does the same request written with its
// members in another order. Another parameter is another request.
func TestRetryWithANewSession(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		first := ran(t, e.do(e.request("netflix/subscriptions/create",
			`{"token":"`+e.token+`","billing_system_customer_identifier":"idem-9","validity_duration":100}`, "relogin", "")).ok(t))
		token := e.login("demo", "demo", "demo")
		replayed(t, e.do(e.request("netflix/subscriptions/create",
			`{ "validity_duration": 100, "billing_system_customer_identifier": "idem-9", "token": "`+token+`" }`, "relogin", "")), first)
		e.do(e.request("netflix/subscriptions/create",
			`{"token":"`+token+`","billing_system_customer_identifier":"idem-9","validity_duration":101}`, "relogin", "")).
			fails(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED", "")
		if n := e.subscriptions("idem-9"); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
	})
}

// An answer too large to keep (1000 ESNs that failed) is not kept: the
// repeat runs again, and answers the same, as a device call does.
func TestLargeAnswersAreNotKept(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		esns := make([]string, netflix.MaxDevicesPerCall)
		for i := range esns {
			esns[i] = fmt.Sprintf("NEVER-REGISTERED-%04d-%s", i, strings.Repeat("X", 60))
		}
		params := map[string]any{"group_identifier": map[string]any{"name": "demo"}, "devices": devicesParam(esns...)}
		first := ran(t, e.postKey("netflix/operators/unregister_devices", "large", params).ok(t))
		if len(first.Raw) <= idempotency.MaxAnswerBytes {
			t.Fatalf("the answer is %d bytes, not over %d", len(first.Raw), idempotency.MaxAnswerBytes)
		}
		again := ran(t, e.postKey("netflix/operators/unregister_devices", "large", params).ok(t))
		if !bytes.Equal(again.Raw, first.Raw) {
			t.Fatal("the repeat answered otherwise")
		}
	})
}

// An answer is replayed for a day; then the key is new again.
func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		// The token goes in the header, so that the body stays the same
		// across logins.
		body := e.encode(map[string]any{"billing_system_customer_identifier": "idem-8"})
		first := ran(t, e.do(e.request("netflix/subscriptions/create", body, "day", e.token)).ok(t))
		e.clock.Advance(idempotency.DefaultRetention - time.Second)
		token := e.login("demo", "demo", "demo")
		replayed(t, e.do(e.request("netflix/subscriptions/create", body, "day", token)), first)
		e.clock.Advance(time.Second)
		// Run afresh: the customer has its subscription now.
		ran(t, e.do(e.request("netflix/subscriptions/create", body, "day", token))).fails(t, http.StatusConflict, "INVALID_STATE")
		if n := e.subscriptions("idem-8"); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}
	})
}

// Replicas on one PostgreSQL database agree on a key: of one create sent
// to both at once, many times with one key, one runs; the others replay
// its answer, or say it is still running.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	t.Parallel()
	db := testdb.PostgresURL(t)
	e := setupOn(t, db)
	b := testserver.NewOn(t, db, server.Config{Now: e.clock.Now})
	b.Serve(t)
	urls := []string{e.url, b.HTTP.URL + "/crmapi/rest/v2/"}
	body := []byte(e.encode(map[string]any{"token": e.token, "billing_system_customer_identifier": "idem-9", "validity_duration": 100}))

	const n = 8
	type result struct {
		status int
		body   []byte
		err    error
	}
	results := make([]result, n)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := apitest.Client(t)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, urls[i%2]+"netflix/subscriptions/create", bytes.NewReader(body))
			if err != nil {
				results[i].err = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(idempotencyKey, "replicas")
			res, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			results[i].status = res.StatusCode
			results[i].body, results[i].err = io.ReadAll(res.Body)
		})
	}
	wg.Wait()
	var ok []byte
	replays := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		switch {
		case r.status == http.StatusOK && ok == nil:
			ok = r.body
		case r.status == http.StatusOK:
			replays++
			if !bytes.Equal(r.body, ok) {
				t.Fatalf("two answers:\n%s\n%s", ok, r.body)
			}
		case r.status == http.StatusConflict && bytes.Contains(r.body, []byte(`"REQUEST_IN_PROGRESS"`)):
		default:
			t.Fatalf("request %d: HTTP %d %s", i, r.status, r.body)
		}
	}
	if ok == nil {
		t.Fatal("no request was answered 200")
	}
	t.Logf("%d of %d answered 200 (one ran, %d replayed), the others REQUEST_IN_PROGRESS", replays+1, n, replays)
	if c := e.subscriptions("idem-9"); c != 1 {
		t.Fatalf("%d subscriptions, want 1", c)
	}
}
