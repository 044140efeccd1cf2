package auth_test

import (
	"context"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/sqlite"
	"carebridge/internal/testserver"
)

// benchSession opens a migrated SQLite file holding one organisation,
// operator and user, logs the user in once through Service.Login, and
// returns the service, the token and the caller it must resolve to. The
// service reads the real clock, as the server's does.
func benchSession(b *testing.B) (*auth.Service, string, carebridge.Caller) {
	b.Helper()
	ctx := context.Background()
	db := testserver.SQLite(b)
	store := sqlite.NewTenancyStore(db)
	now := time.Now().UTC().Truncate(time.Second)
	org, err := store.CreateOrganisation(ctx, "bench", now)
	if err != nil {
		b.Fatal(err)
	}
	op, err := store.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: "bench", CreatedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	const password = "correct horse battery"
	hash, err := auth.HashPassword(ctx, password)
	if err != nil {
		b.Fatal(err)
	}
	u, err := store.CreateUser(ctx, carebridge.User{
		OrganisationID: org.ID, OperatorID: op.ID, Username: "billing", PasswordHash: hash, CreatedAt: now,
	})
	if err != nil {
		b.Fatal(err)
	}
	svc := auth.NewService(store, time.Now, 2*time.Hour) // the server's default lifetime
	tok, err := svc.Login(ctx, "bench", "billing", password, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	want := carebridge.Caller{UserID: u.ID, Username: u.Username, Role: u.Role, OperatorID: op.ID, OrganisationID: org.ID}
	return svc, tok.Value, want
}

// BenchmarkAuthenticate is the per-request token check of the CRM.COM face:
// format check, SHA-256 of the token, and one indexed session lookup on
// SQLite's reader pool.
func BenchmarkAuthenticate(b *testing.B) {
	svc, token, want := benchSession(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		caller, err := svc.Authenticate(ctx, token)
		if err != nil {
			b.Fatal(err)
		}
		if caller != want {
			b.Fatalf("caller %+v, want %+v", caller, want)
		}
	}
}

// BenchmarkAuthenticateParallel is the same check from GOMAXPROCS
// goroutines at once, as concurrent requests make it; ns/op is wall time
// per check across all of them.
func BenchmarkAuthenticateParallel(b *testing.B) {
	svc, token, want := benchSession(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			caller, err := svc.Authenticate(ctx, token)
			if err != nil {
				b.Error(err)
				return
			}
			if caller != want {
				b.Errorf("caller %+v, want %+v", caller, want)
				return
			}
		}
	})
}
