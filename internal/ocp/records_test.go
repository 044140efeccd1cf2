package ocp_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
)

var recordsAt = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func app(id int64, clientID string) ocp.Application {
	return ocp.Application{AppID: id, Name: "app", ClientID: clientID, ClientSecretHash: "x", CreatedAt: recordsAt}
}

func profile(id int64, name string) ocp.Profile {
	return ocp.Profile{Customer: ocp.Customer{ID: id, Name: name}, EnrollmentLevel: ocp.Base, OCPServices: []string{}}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := carebridge.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}

func granted(t *testing.T, m *memory, appID int64) []int64 {
	t.Helper()
	ids, err := m.PermittedCustomers(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// A taken id or client id is ECONFLICT, and the grants asked for with it
// are not written.
func TestCreateApplicationConflict(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	r := ocp.NewRecords(m)
	if _, err := r.CreateApplication(ctx, app(88, "app-88"), []int64{1649}); err != nil {
		t.Fatal(err)
	}
	_, err := r.CreateApplication(ctx, app(88, "app-88-bis"), []int64{777})
	wantCode(t, err, carebridge.ECONFLICT)
	_, err = r.CreateApplication(ctx, app(90, "app-88"), []int64{778})
	wantCode(t, err, carebridge.ECONFLICT)
	if got := granted(t, m, 88); !slices.Equal(got, []int64{1649}) {
		t.Fatalf("grants of 88 = %v, want [1649]", got)
	}
	if got := granted(t, m, 90); len(got) != 0 {
		t.Fatalf("grants of the refused 90 = %v", got)
	}
	if _, ok := m.data.apps[90]; ok {
		t.Fatal("application 90 was stored")
	}
}

// An application and its grants are written together or not at all.
func TestCreateApplicationAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	broken := errors.New("disk full")
	m.fail = func(p string) error {
		if p == "InsertGrants" {
			return broken
		}
		return nil
	}
	if _, err := ocp.NewRecords(m).CreateApplication(ctx, app(88, "app-88"), []int64{1}); !errors.Is(err, broken) {
		t.Fatalf("CreateApplication = %v, want the grants' failure", err)
	}
	if len(m.data.apps) != 0 {
		t.Fatalf("the application stayed without its grants: %v", m.data.apps)
	}
	// Without customers no grant is written at all.
	if _, err := ocp.NewRecords(m).CreateApplication(ctx, app(88, "app-88"), nil); err != nil {
		t.Fatalf("CreateApplication without customers: %v", err)
	}
}

func TestGrantUnknownApplication(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	err := ocp.NewRecords(m).Grant(ctx, 404, []int64{1})
	wantCode(t, err, carebridge.ENOTFOUND)
	if len(m.data.grants) != 0 {
		t.Fatalf("grants to an unknown application: %v", m.data.grants)
	}
}

func TestRevokeDecides(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	r := ocp.NewRecords(m)
	if _, err := r.CreateApplication(ctx, app(88, "app-88"), []int64{12, 13}); err != nil {
		t.Fatal(err)
	}
	err := r.Revoke(ctx, 404, []int64{12}, func([]int64) error {
		t.Fatal("decide was called for an unknown application")
		return nil
	})
	wantCode(t, err, carebridge.ENOTFOUND)

	// decide sees what was deleted; its refusal undoes it.
	refused := errors.New("refused")
	var seen []int64
	err = r.Revoke(ctx, 88, []int64{12, 99}, func(ids []int64) error { seen = ids; return refused })
	if err != refused {
		t.Fatalf("Revoke = %v, want decide's refusal", err)
	}
	if !slices.Equal(seen, []int64{12}) {
		t.Fatalf("decide saw %v, want [12]", seen)
	}
	if got := granted(t, m, 88); !slices.Equal(got, []int64{12, 13}) {
		t.Fatalf("grants after a refused revoke = %v", got)
	}

	// An empty list deletes nothing and decide sees an empty list, not nil.
	seen = nil
	if err := r.Revoke(ctx, 88, nil, func(ids []int64) error { seen = ids; return nil }); err != nil {
		t.Fatal(err)
	}
	if seen == nil || len(seen) != 0 {
		t.Fatalf("decide of an empty revoke saw %#v, want []", seen)
	}
}

// The service's revoke is all or nothing: an id never granted refuses it
// whole, naming the ids, each once and ascending.
func TestServiceRevokeNeverGranted(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	svc := &ocp.Service{Store: ocp.NewRecords(m), Now: func() time.Time { return recordsAt }}
	if _, err := svc.Store.CreateApplication(ctx, app(88, "app-88"), []int64{12, 13}); err != nil {
		t.Fatal(err)
	}
	err := svc.Revoke(ctx, 88, []int64{12, 51, 50, 51})
	wantCode(t, err, carebridge.ENOTFOUND)
	if !strings.Contains(err.Error(), "customers 50, 51;") {
		t.Fatalf("error %q does not name 50, 51", err)
	}
	if got := granted(t, m, 88); !slices.Equal(got, []int64{12, 13}) {
		t.Fatalf("grants after a refused revoke = %v", got)
	}
	if err := svc.Revoke(ctx, 88, []int64{13, 12}); err != nil {
		t.Fatal(err)
	}
	if got := granted(t, m, 88); len(got) != 0 {
		t.Fatalf("grants after revoking all = %v", got)
	}
}

// Create never replaces and update never inserts.
func TestServiceCustomerWrites(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	svc := &ocp.Service{Store: ocp.NewRecords(m), Now: func() time.Time { return recordsAt }}
	if err := svc.UpdateCustomer(ctx, profile(1649, "Acme")); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("update of a missing customer = %v, want ENOTFOUND", err)
	}
	if len(m.data.customers) != 0 {
		t.Fatal("an update inserted a customer")
	}
	if err := svc.CreateCustomer(ctx, profile(1649, "Acme")); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateCustomer(ctx, profile(1649, "Other")); carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		t.Fatalf("create of a taken id = %v, want ECONFLICT", err)
	}
	if err := svc.UpdateCustomer(ctx, profile(1649, "Acme Renamed")); err != nil {
		t.Fatal(err)
	}
	if got := m.data.customers[1649].Name; got != "Acme Renamed" {
		t.Fatalf("name %q after create, refused create, update", got)
	}
	// A profile that fails validation reaches no primitive.
	m.fail = func(p string) error { t.Fatalf("%s called for an invalid profile", p); return nil }
	bad := profile(0, "Zero")
	if err := svc.CreateCustomer(ctx, bad); carebridge.ErrorCode(err) != carebridge.EINVALID {
		t.Fatalf("create of id 0 = %v, want EINVALID", err)
	}
}

// A batch of profiles is stored whole or not at all.
func TestSaveCustomersOneTransaction(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	r := ocp.NewRecords(m)
	if err := r.SaveCustomers(ctx, []ocp.Profile{profile(1, "kept")}, recordsAt); err != nil {
		t.Fatal(err)
	}
	calls := 0
	m.fail = func(string) error {
		if calls++; calls == 2 {
			return errors.New("broken")
		}
		return nil
	}
	if err := r.SaveCustomers(ctx, []ocp.Profile{profile(1, "replaced"), profile(2, "new")}, recordsAt); err == nil {
		t.Fatal("a failing batch succeeded")
	}
	if len(m.data.customers) != 1 || m.data.customers[1].Name != "kept" {
		t.Fatalf("customers after a failed batch: %v", m.data.customers)
	}
	m.fail = func(p string) error { t.Fatalf("%s called for an empty batch", p); return nil }
	if err := r.SaveCustomers(ctx, nil, recordsAt); err != nil {
		t.Fatal(err)
	}
}

// A token is live until its expiry, not at it, whether or not an expired
// one has been deleted yet.
func TestTokenLiveUntilExpiry(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	r := ocp.NewRecords(m)
	expires := recordsAt.Add(time.Hour)
	if err := r.CreateToken(ctx, []byte("a"), 88, recordsAt, expires); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{recordsAt, expires.Add(-time.Nanosecond)} {
		appID, until, err := r.TokenApplication(ctx, []byte("a"), now)
		if err != nil || appID != 88 || !until.Equal(expires) {
			t.Fatalf("TokenApplication at %v = %d, %v, %v", now, appID, until, err)
		}
	}
	for _, now := range []time.Time{expires, expires.Add(time.Second)} {
		_, _, err := r.TokenApplication(ctx, []byte("a"), now)
		wantCode(t, err, carebridge.ENOTFOUND)
	}
	_, _, err := r.TokenApplication(ctx, []byte("b"), recordsAt)
	wantCode(t, err, carebridge.ENOTFOUND)

	// Deleting is strictly before.
	if n, err := r.DeleteTokensExpiredBefore(ctx, expires); err != nil || n != 0 {
		t.Fatalf("DeleteTokensExpiredBefore(expiry) = %d, %v; want 0", n, err)
	}
	if n, err := r.DeleteTokensExpiredBefore(ctx, expires.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("DeleteTokensExpiredBefore(after) = %d, %v; want 1", n, err)
	}
}

// The client-credentials grant issues a token that authenticates its
// application until the lifetime ends; a wrong secret gets none.
func TestServiceIssueAndAuthenticate(t *testing.T) {
	t.Parallel()
	ctx, m := context.Background(), newMemory()
	now := recordsAt
	svc := &ocp.Service{Store: ocp.NewRecords(m), Now: func() time.Time { return now }, TokenLifetime: time.Hour}
	_, secret, err := svc.NewApplication(ctx, 88, "app", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IssueToken(ctx, "app-88", secret+"x"); carebridge.ErrorCode(err) != carebridge.ECREDENTIALS {
		t.Fatalf("a wrong secret = %v, want ECREDENTIALS", err)
	}
	if len(m.data.tokens) != 0 {
		t.Fatal("a wrong secret stored a token")
	}
	tok, err := svc.IssueToken(ctx, "app-88", secret)
	if err != nil || tok.ExpiresIn != time.Hour {
		t.Fatalf("IssueToken = %+v, %v", tok, err)
	}
	if appID, err := svc.Authenticate(ctx, tok.Value); err != nil || appID != 88 {
		t.Fatalf("Authenticate = %d, %v; want 88", appID, err)
	}
	now = now.Add(time.Hour)
	if _, err := svc.Authenticate(ctx, tok.Value); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
		t.Fatalf("Authenticate of an expired token = %v, want EUNAUTHORIZED", err)
	}
}
