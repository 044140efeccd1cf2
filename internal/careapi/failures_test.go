package careapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"carebridge"
	"carebridge/internal/apitest"
	"carebridge/internal/auth"
	"carebridge/internal/careapi"
	"carebridge/internal/testdb"
	"carebridge/internal/testserver"
)

// operators answers every lookup with err.
type operators struct{ err error }

func (o operators) OperatorByID(context.Context, int64, int64) (carebridge.Operator, error) {
	return carebridge.Operator{}, o.err
}

// syncBuffer is a log written by the server's goroutines and read by the
// test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A failure after the password was checked is answered from the face's
// table: what the table does not hold, and an internal error, as 500
// with no details (they go to the log), and a busy database as 503.
func TestLoginFailuresAfterThePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stores := testserver.OpenStores(t, testdb.SQLitePath(t))
	org, err := stores.Tenancy.CreateOrganisation(ctx, "demo", start)
	if err != nil {
		t.Fatal(err)
	}
	op, err := stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "demo", CreatedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(ctx, "agent")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: org.ID, OperatorID: op.ID,
		Username: "agent", PasswordHash: hash, Role: carebridge.RoleCare, CreatedAt: start}); err != nil {
		t.Fatal(err)
	}
	clk := testserver.NewClock(start)
	sessions := auth.NewService(stores.Tenancy, clk.Now, 0).ForAudience(carebridge.AudienceCare, lifetime)

	const secret = "operator 42 is half-migrated"
	for _, c := range []struct {
		name    string
		err     error
		status  int
		code    string
		message string
		logged  bool
	}{
		{"the operator is gone", carebridge.Errorf(carebridge.ENOTFOUND, "%s", secret), 500, "internal", "An internal error occurred.", true},
		{"a code the table lacks", carebridge.Errorf(carebridge.ECONFLICT, "%s", secret), 500, "internal", "An internal error occurred.", true},
		{"an internal error with a message", carebridge.Errorf(carebridge.EINTERNAL, "%s", secret), 500, "internal", "An internal error occurred.", true},
		{"a plain error", errors.New(secret), 500, "internal", "An internal error occurred.", true},
		{"the database is busy", carebridge.Errorf(carebridge.EUNAVAILABLE, "The database is busy; try again."), 503, "unavailable", "The database is busy; try again.", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			h := careapi.New(sessions, operators{c.err}, slog.New(slog.NewTextHandler(logs, nil)))
			mux := http.NewServeMux()
			mux.Handle(careapi.Prefix, h)
			ts := httptest.NewServer(mux)
			defer ts.Close()
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/care/login", strings.NewReader(loginBody("demo", "agent", "agent")))
			req.Header.Set("Content-Type", "application/json")
			res, err := apitest.Client(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(res.Body)
			res.Body.Close()
			r := response{Status: res.StatusCode, Header: res.Header, Body: body.Bytes()}
			if msg := wantError(t, c.name, r, c.status, c.code); msg != c.message {
				t.Fatalf("message %q, want %q", msg, c.message)
			}
			if logged := strings.Contains(logs.String(), secret); logged != c.logged {
				t.Fatalf("the error logged: %v, want %v\n%s", logged, c.logged, logs.String())
			}
		})
	}
}
