package storetest

import (
	"context"
	"crypto/sha256"
	"reflect"
	"slices"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
)

// ocpApp is an application as the OCP service would create it.
func ocpApp(id int64, clientID string) ocp.Application {
	return ocp.Application{AppID: id, Name: "app " + clientID, ClientID: clientID, ClientSecretHash: "$argon2id$" + clientID, CreatedAt: base}
}

// tokenHash is a token's stored hash, as the service computes it.
func tokenHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// wantIDs fails unless ids is exactly want, in order, and not nil.
func wantIDs(t *testing.T, what string, ids, want []int64) {
	t.Helper()
	if ids == nil {
		t.Fatalf("%s = nil, want %v (an empty list is [], not nil)", what, want)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("%s = %v, want %v", what, ids, want)
	}
}

// keep is a RevokeFunc that lets every revoke stand and records the ids
// it was given.
func keep(revoked *[]int64) ocp.RevokeFunc {
	return func(ids []int64) error { *revoked = ids; return nil }
}

// wantProfile fails unless the stored profile of want.ID is want, field by
// field.
func wantProfile(t *testing.T, s ocp.Store, want ocp.Profile) {
	t.Helper()
	got := ok(s.Profile(context.Background(), want.ID)).must(t)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Profile(%d)\n got: %#v\nwant: %#v", want.ID, got, want)
	}
}

func testOCP(t *testing.T, open Open) {
	testOCPCustomerWrites(t, open)
	t.Run("GrantedProfile", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		atm := ocp.Profile{
			Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, IsRMS: true,
			Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium, OCPServices: []string{"wireless"},
		}
		kiosk := ocp.Profile{Customer: ocp.Customer{ID: 1650, Name: "Globex Kiosk"}, EnrollmentLevel: ocp.None, OCPServices: []string{}}
		if err := s.SaveCustomers(ctx, []ocp.Profile{atm, kiosk}, base); err != nil {
			t.Fatal(err)
		}
		ok(s.CreateApplication(ctx, ocpApp(88, "app-88"), []int64{1649, 5000})).must(t)
		ok(s.CreateApplication(ctx, ocpApp(89, "app-89"), []int64{1650})).must(t)
		if got := ok(s.GrantedProfile(ctx, 88, 1649)).must(t); !reflect.DeepEqual(got, atm) {
			t.Fatalf("GrantedProfile(88, 1649)\n got: %#v\nwant: %#v", got, atm)
		}
		if got := ok(s.GrantedProfile(ctx, 89, 1650)).must(t); !reflect.DeepEqual(got, kiosk) {
			t.Fatalf("GrantedProfile(89, 1650) = %#v, want %#v", got, kiosk)
		}
		// Not granted (though it exists), granted without a record, and
		// an unknown application: all ENOTFOUND.
		for _, c := range [][2]int64{{88, 1650}, {89, 1649}, {88, 5000}, {404, 1649}} {
			_, err := s.GrantedProfile(ctx, c[0], c[1])
			wantCode(t, err, carebridge.ENOTFOUND)
		}
	})

	t.Run("CustomersInsertAndRoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		all := ocp.Profile{
			Customer:  ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"},
			CanViewIP: true, CanAccessIP: true, IsRMS: true,
			Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium,
			OCPServices: []string{"wireless", "vpn"}, DeviceSubsetStartTime: 1486000000,
		}
		blank := ocp.Profile{
			Customer:        ocp.Customer{ID: 1650, NSID: 0, Name: "Globex Kiosk"},
			EnrollmentLevel: ocp.None, OCPServices: []string{""},
		}
		empty := ocp.Profile{
			Customer:        ocp.Customer{ID: 7, NSID: 1, Name: "Initech"},
			CanAccessIP:     true,
			EnrollmentLevel: ocp.Base, OCPServices: []string{},
		}
		if err := s.SaveCustomers(ctx, []ocp.Profile{all, blank, empty}, base); err != nil {
			t.Fatal(err)
		}
		wantProfile(t, s, all)
		wantProfile(t, s, blank) // email "" ↔ no email; services [""] stays [""]
		wantProfile(t, s, empty) // services [] stays [], not nil
		_, err := s.Profile(ctx, 1651)
		wantCode(t, err, carebridge.ENOTFOUND)
		if err := s.SaveCustomers(ctx, nil, base); err != nil {
			t.Fatalf("an empty batch: %v", err)
		}
	})

	t.Run("CustomersUpsert", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		before := ocp.Profile{
			Customer:  ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"},
			CanViewIP: true, CanAccessIP: true, IsRMS: true,
			Email: "doug.do@acmeatm.zzz", EnrollmentLevel: ocp.Premium,
			OCPServices: []string{"wireless"}, DeviceSubsetStartTime: 99,
		}
		other := ocp.Profile{Customer: ocp.Customer{ID: 1650, NSID: 5, Name: "Other"}, EnrollmentLevel: ocp.Base, OCPServices: []string{}}
		if err := s.SaveCustomers(ctx, []ocp.Profile{before, other}, base); err != nil {
			t.Fatal(err)
		}
		after := ocp.Profile{
			Customer:        ocp.Customer{ID: 1649, NSID: 44444444, Name: "Acme ATM Renamed"},
			EnrollmentLevel: ocp.None, OCPServices: []string{""},
		}
		if err := s.SaveCustomers(ctx, []ocp.Profile{after}, base.Add(time.Hour)); err != nil {
			t.Fatalf("saving an existing customer again: %v", err)
		}
		wantProfile(t, s, after) // every field replaced: flags cleared, email gone, level lowered
		wantProfile(t, s, other) // and nothing else touched

		// And back again: flags set, email set, services several.
		if err := s.SaveCustomers(ctx, []ocp.Profile{before}, base.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantProfile(t, s, before)
	})

	t.Run("CustomersOneTransaction", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		good := ocp.Profile{Customer: ocp.Customer{ID: 1, NSID: 1, Name: "good"}, EnrollmentLevel: ocp.Base, OCPServices: []string{}}
		bad := ocp.Profile{Customer: ocp.Customer{ID: 2, NSID: 2, Name: "bad"}, EnrollmentLevel: ocp.Level("Gold"), OCPServices: []string{}}
		if err := s.SaveCustomers(ctx, []ocp.Profile{good, bad}, base); err == nil {
			t.Fatal("a profile with enrollment level Gold was stored")
		}
		_, err := s.Profile(ctx, 1)
		wantCode(t, err, carebridge.ENOTFOUND) // the good row of the failed batch was rolled back
	})

	t.Run("Applications", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		a := ocpApp(88, "app-88")
		created := ok(s.CreateApplication(ctx, a, []int64{1649, 4242})).must(t) // 4242 has no customer record
		if !reflect.DeepEqual(created, a) {
			t.Fatalf("CreateApplication = %+v, want %+v", created, a)
		}
		got := ok(s.ApplicationByClientID(ctx, "app-88")).must(t)
		if got.AppID != 88 || got.Name != a.Name || got.ClientID != "app-88" || got.ClientSecretHash != a.ClientSecretHash || !got.CreatedAt.Equal(base) {
			t.Fatalf("ApplicationByClientID = %+v, want %+v", got, a)
		}
		_, err := s.ApplicationByClientID(ctx, "app-89")
		wantCode(t, err, carebridge.ENOTFOUND)
		_, err = s.ApplicationByClientID(ctx, "APP-88")
		wantCode(t, err, carebridge.ENOTFOUND) // client ids are exact
		wantIDs(t, "PermittedCustomers(88)", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{1649, 4242})

		// A second application without grants.
		ok(s.CreateApplication(ctx, ocpApp(89, "app-89"), []int64{})).must(t)
		wantIDs(t, "PermittedCustomers(89)", ok(s.PermittedCustomers(ctx, 89)).must(t), []int64{})

		// Duplicates: same app id with another client id, another app id
		// with the same client id. Neither changes anything, grants
		// included.
		_, err = s.CreateApplication(ctx, ocpApp(88, "app-88-bis"), []int64{777})
		wantCode(t, err, carebridge.ECONFLICT)
		_, err = s.CreateApplication(ctx, ocpApp(90, "app-88"), []int64{778})
		wantCode(t, err, carebridge.ECONFLICT)
		wantIDs(t, "PermittedCustomers(88) after conflicts", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{1649, 4242})
		wantIDs(t, "PermittedCustomers(90)", ok(s.PermittedCustomers(ctx, 90)).must(t), []int64{})
		_, err = s.ApplicationByClientID(ctx, "app-88-bis")
		wantCode(t, err, carebridge.ENOTFOUND)
		if got := ok(s.ApplicationByClientID(ctx, "app-88")).must(t); got.AppID != 88 {
			t.Fatalf("client id app-88 now belongs to application %d", got.AppID)
		}
	})

	t.Run("NilCustomerLists", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		// A nil list means no customers, as an empty one does: an
		// application created without --customers, a grant of nothing.
		if _, err := s.CreateApplication(ctx, ocpApp(88, "app-88"), nil); err != nil {
			t.Fatalf("CreateApplication with a nil customer list: %v", err)
		}
		wantIDs(t, "PermittedCustomers(88)", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{})
		if err := s.Grant(ctx, 88, nil); err != nil {
			t.Fatalf("Grant(nil): %v", err)
		}
		var revoked []int64
		if err := s.Revoke(ctx, 88, nil, keep(&revoked)); err != nil {
			t.Fatalf("Revoke(nil): %v", err)
		}
		wantIDs(t, "revoked by Revoke(nil)", revoked, []int64{})
		wantIDs(t, "PermittedCustomers(88) after nil grant and revoke", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{})
	})

	t.Run("GrantRevoke", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		ok(s.CreateApplication(ctx, ocpApp(88, "app-88"), []int64{1649})).must(t)
		ok(s.CreateApplication(ctx, ocpApp(89, "app-89"), []int64{1650})).must(t)

		if err := s.Grant(ctx, 88, []int64{5000, 12, 1649}); err != nil {
			t.Fatal(err)
		}
		if err := s.Grant(ctx, 88, []int64{12, 5000}); err != nil {
			t.Fatalf("granting again: %v", err)
		}
		wantIDs(t, "after grants", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{12, 1649, 5000})
		wantIDs(t, "the other application", ok(s.PermittedCustomers(ctx, 89)).must(t), []int64{1650})

		for _, c := range []struct {
			app, customer int64
			want          bool
		}{
			{88, 12, true}, {88, 1649, true}, {88, 5000, true},
			{88, 1650, false}, {88, 13, false},
			{89, 1650, true}, {89, 1649, false},
			{404, 1649, false},
		} {
			if got := ok(s.Permitted(ctx, c.app, c.customer)).must(t); got != c.want {
				t.Fatalf("Permitted(%d, %d) = %v, want %v", c.app, c.customer, got, c.want)
			}
		}

		err := s.Grant(ctx, 404, []int64{1})
		wantCode(t, err, carebridge.ENOTFOUND)
		err = s.Revoke(ctx, 404, []int64{1}, func([]int64) error {
			t.Fatal("decide was called for an unknown application")
			return nil
		})
		wantCode(t, err, carebridge.ENOTFOUND)
		if got := ok(s.Permitted(ctx, 404, 1)).must(t); got {
			t.Fatal("a grant to an unknown application was kept")
		}

		// A refusal rolls the deletion back; decide was told what it was.
		var revoked []int64
		refused := carebridge.Errorf(carebridge.ENOTFOUND, "refused")
		err = s.Revoke(ctx, 88, []int64{12, 9999, 12}, func(ids []int64) error { revoked = ids; return refused })
		if err != refused {
			t.Fatalf("Revoke with a refusing decide = %v, want its error", err)
		}
		wantIDs(t, "revoked ids passed to decide", revoked, []int64{12}) // 9999 was never granted
		wantIDs(t, "after a refused revoke", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{12, 1649, 5000})

		if err := s.Revoke(ctx, 88, []int64{12, 9999}, keep(&revoked)); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		wantIDs(t, "revoked", revoked, []int64{12})
		if err := s.Revoke(ctx, 88, []int64{12}, keep(&revoked)); err != nil {
			t.Fatalf("revoking again: %v", err)
		}
		wantIDs(t, "revoked again", revoked, []int64{})
		wantIDs(t, "after revoke", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{1649, 5000})
		if ok(s.Permitted(ctx, 88, 12)).must(t) {
			t.Fatal("revoked customer 12 is still permitted")
		}
		wantIDs(t, "the other application after revoke", ok(s.PermittedCustomers(ctx, 89)).must(t), []int64{1650})

		if err := s.Revoke(ctx, 88, []int64{1649, 5000}, keep(&revoked)); err != nil {
			t.Fatal(err)
		}
		slices.Sort(revoked)
		wantIDs(t, "revoked all", revoked, []int64{1649, 5000})
		wantIDs(t, "after revoking all", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{})
	})

	t.Run("ConcurrentRevokes", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		ok(s.CreateApplication(ctx, ocpApp(88, "app-88"), []int64{12, 13})).must(t)
		// Revokes of one grant at once: each sees what its own deletion
		// did, so exactly one is told it revoked it, and a decide that
		// refuses the others' empty revokes leaves the other grant alone.
		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() {
				errs <- s.Revoke(ctx, 88, []int64{12}, func(ids []int64) error {
					if len(ids) != 1 {
						return carebridge.Errorf(carebridge.ENOTFOUND, "not granted")
					}
					return nil
				})
			}()
		}
		succeeded := 0
		for range n {
			switch err := <-errs; carebridge.ErrorCode(err) {
			case "":
				succeeded++
			case carebridge.ENOTFOUND:
			default:
				t.Fatalf("concurrent Revoke: %v", err)
			}
		}
		if succeeded != 1 {
			t.Fatalf("%d of %d concurrent revokes of one grant were told they revoked it; want 1", succeeded, n)
		}
		wantIDs(t, "after concurrent revokes", ok(s.PermittedCustomers(ctx, 88)).must(t), []int64{13})
	})

	t.Run("Tokens", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		ok(s.CreateApplication(ctx, ocpApp(88, "app-88"), []int64{})).must(t)
		ok(s.CreateApplication(ctx, ocpApp(89, "app-89"), []int64{})).must(t)
		expires := base.Add(time.Hour)
		if err := s.CreateToken(ctx, tokenHash("a"), 88, base, expires); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, tokenHash("b"), 89, base, expires); err != nil {
			t.Fatal(err)
		}
		for _, now := range []time.Time{base, expires.Add(-time.Second)} {
			for name, want := range map[string]int64{"a": 88, "b": 89} {
				app, until, err := s.TokenApplication(ctx, tokenHash(name), now)
				if err != nil || app != want || !until.Equal(expires) {
					t.Fatalf("TokenApplication(%s, %v) = %d, %v, %v; want %d, %v", name, now, app, until, err, want, expires)
				}
			}
		}
		for _, now := range []time.Time{expires, expires.Add(time.Second), expires.Add(24 * time.Hour)} {
			_, _, err := s.TokenApplication(ctx, tokenHash("a"), now)
			wantCode(t, err, carebridge.ENOTFOUND)
		}
		_, _, err := s.TokenApplication(ctx, tokenHash("c"), base)
		wantCode(t, err, carebridge.ENOTFOUND)
	})

	t.Run("DeleteTokensExpiredBefore", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t).OCP, context.Background()
		ok(s.CreateApplication(ctx, ocpApp(88, "app-88"), []int64{})).must(t)
		for i, name := range []string{"1h", "2h", "3h"} {
			if err := s.CreateToken(ctx, tokenHash(name), 88, base, base.Add(time.Duration(i+1)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if n := ok(s.DeleteTokensExpiredBefore(ctx, base)).must(t); n != 0 {
			t.Fatalf("deleted %d tokens before any expired", n)
		}
		// Strictly before: the token expiring at exactly 2h stays.
		if n := ok(s.DeleteTokensExpiredBefore(ctx, base.Add(2*time.Hour))).must(t); n != 1 {
			t.Fatalf("DeleteTokensExpiredBefore(+2h) = %d, want 1", n)
		}
		if n := ok(s.DeleteTokensExpiredBefore(ctx, base.Add(2*time.Hour))).must(t); n != 0 {
			t.Fatalf("DeleteTokensExpiredBefore(+2h) again = %d, want 0", n)
		}
		for _, name := range []string{"2h", "3h"} {
			if app, _, err := s.TokenApplication(ctx, tokenHash(name), base.Add(90*time.Minute)); err != nil || app != 88 {
				t.Fatalf("token %s = %d, %v after the purge, want 88", name, app, err)
			}
		}
		if n := ok(s.DeleteTokensExpiredBefore(ctx, base.Add(10*time.Hour))).must(t); n != 2 {
			t.Fatalf("DeleteTokensExpiredBefore(+10h) = %d, want 2", n)
		}
		_, _, err := s.TokenApplication(ctx, tokenHash("3h"), base)
		wantCode(t, err, carebridge.ENOTFOUND) // gone, though it would still be live at base
	})
}
