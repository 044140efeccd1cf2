package storetest

import (
	"context"
	"testing"
	"time"

	"carebridge/internal/ocp"
)

// testOCPCustomerWrites: CreateCustomer never replaces and UpdateCustomer
// never inserts; each tells what it did, and the domain decides what that
// means.
func testOCPCustomerWrites(t *testing.T, open Open) {
	t.Run("CreateCustomer", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		atm := ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, IsRMS: true,
			Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium, OCPServices: []string{"wireless"},
			DeviceSubsetStartTime: 7,
		}
		if created := ok(s.CreateCustomer(ctx, atm, base)).must(t); !created {
			t.Fatal("CreateCustomer of a new id = false")
		}
		wantProfile(t, s, atm)
		other := ocp.Profile{Customer: ocp.Customer{ID: 1649, NSID: 1, Name: "Someone Else"}, EnrollmentLevel: ocp.None, OCPServices: []string{}}
		if created := ok(s.CreateCustomer(ctx, other, base.Add(time.Hour))).must(t); created {
			t.Fatal("CreateCustomer of a taken id = true")
		}
		wantProfile(t, s, atm) // untouched
	})

	t.Run("UpdateCustomer", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		ghost := ocp.Profile{Customer: ocp.Customer{ID: 1650, NSID: 5, Name: "Ghost"}, EnrollmentLevel: ocp.Base, OCPServices: []string{}}
		if updated := ok(s.UpdateCustomer(ctx, ghost, base)).must(t); updated {
			t.Fatal("UpdateCustomer of an unknown id = true")
		}
		if _, err := s.Profile(ctx, 1650); err == nil {
			t.Fatal("UpdateCustomer of an unknown id created it")
		}
		before := ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, CanViewIP: true,
			Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium, OCPServices: []string{"wireless"},
		}
		if err := s.SaveCustomers(ctx, []ocp.Profile{before}, base); err != nil {
			t.Fatal(err)
		}
		after := ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 44444444, Name: "Acme ATM Renamed"}, CanAccessIP: true, IsRMS: true,
			EnrollmentLevel: ocp.Base, OCPServices: []string{"vpn", ""}, DeviceSubsetStartTime: 9,
		}
		if updated := ok(s.UpdateCustomer(ctx, after, base.Add(time.Hour))).must(t); !updated {
			t.Fatal("UpdateCustomer of an existing id = false")
		}
		wantProfile(t, s, after) // every column replaced, the email cleared
	})
}
