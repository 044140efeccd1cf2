package ocp_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
	"carebridge/internal/sqlite"
	"carebridge/internal/testserver"
)

func sqliteService(t *testing.T) *ocp.Service {
	t.Helper()
	db := testserver.SQLite(t)
	return &ocp.Service{Store: sqlite.NewOCPStore(db), Now: time.Now, TokenLifetime: time.Hour}
}

func wantErr(t *testing.T, what string, err error, code, text string) {
	t.Helper()
	if carebridge.ErrorCode(err) != code || !strings.Contains(carebridge.ErrorMessage(err), text) {
		t.Fatalf("%s: %v (code %q); want %s containing %q", what, err, carebridge.ErrorCode(err), code, text)
	}
}

// Creating an existing customer is refused and leaves it as it was;
// updating an unknown one is refused and creates nothing.
func TestCreateAndUpdateCustomer(t *testing.T) {
	t.Parallel()
	svc, ctx := sqliteService(t), context.Background()
	atm := ocp.Profile{Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, EnrollmentLevel: ocp.Premium}
	if err := svc.CreateCustomer(ctx, atm); err != nil {
		t.Fatal(err)
	}
	err := svc.CreateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 1649, NSID: 1, Name: "Impostor"}})
	wantErr(t, "create of an existing id", err, carebridge.ECONFLICT, "Customer 1649 already exists")
	if p, _ := svc.Store.Profile(ctx, 1649); p.Name != "Acme ATM" {
		t.Fatalf("after a refused create the name is %q", p.Name)
	}

	err = svc.UpdateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 1651, NSID: 1, Name: "Typo"}})
	wantErr(t, "update of an unknown id", err, carebridge.ENOTFOUND, "Customer 1651 does not exist")
	if _, err := svc.Store.Profile(ctx, 1651); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("a refused update created the customer: %v", err)
	}
	atm.Name, atm.EnrollmentLevel = "Acme ATM Renamed", ocp.Base
	if err := svc.UpdateCustomer(ctx, atm); err != nil {
		t.Fatal(err)
	}
	if p, _ := svc.Store.Profile(ctx, 1649); p.Name != "Acme ATM Renamed" || p.EnrollmentLevel != ocp.Base {
		t.Fatalf("after the update: %+v", p)
	}
	// Both validate like an import row.
	wantErr(t, "invalid create", svc.CreateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 7, Name: "x"}, Email: "nope"}),
		carebridge.EINVALID, "email")
	wantErr(t, "invalid update", svc.UpdateCustomer(ctx, ocp.Profile{Customer: ocp.Customer{ID: 1649, Name: "x"}, EnrollmentLevel: "Gold"}),
		carebridge.EINVALID, "Gold")
}

// Revoking an id that was never granted is refused, names it, and revokes
// nothing; an unknown application is told apart.
func TestRevokeNeverGranted(t *testing.T) {
	t.Parallel()
	svc, ctx := sqliteService(t), context.Background()
	if _, _, err := svc.NewApplication(ctx, 88, "Partner portal", "s3cret-s3cret", []int64{1649, 1650}); err != nil {
		t.Fatal(err)
	}
	err := svc.Revoke(ctx, 88, []int64{1650, 1651, 1652})
	wantErr(t, "revoke of never-granted ids", err, carebridge.ENOTFOUND, "never granted customers 1651, 1652; nothing was revoked")
	if ids, _ := svc.CustomerIDs(ctx, 88); !slices.Equal(ids, []int64{1649, 1650}) {
		t.Fatalf("after a refused revoke the grants are %v; want [1649 1650]", ids)
	}
	wantErr(t, "revoke of one never-granted id", svc.Revoke(ctx, 88, []int64{7}), carebridge.ENOTFOUND, "never granted customer 7;")
	wantErr(t, "revoke naming an id twice", svc.Revoke(ctx, 88, []int64{9, 1650, 8, 9}), carebridge.ENOTFOUND, "never granted customers 8, 9;")
	wantErr(t, "revoke for an unknown application", svc.Revoke(ctx, 404, []int64{1649}), carebridge.ENOTFOUND, "Application 404 does not exist")
	if err := svc.Revoke(ctx, 88, []int64{1650}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := svc.CustomerIDs(ctx, 88); !slices.Equal(ids, []int64{1649}) {
		t.Fatalf("after revoking 1650 the grants are %v; want [1649]", ids)
	}
	wantErr(t, "revoking it again", svc.Revoke(ctx, 88, []int64{1650}), carebridge.ENOTFOUND, "never granted customer 1650")
}
