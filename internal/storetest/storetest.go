// Package storetest is the contract every storage engine passes: the same
// tests, run against each engine's implementation of the store interfaces.
package storetest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/idempotency"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/webhook"
)

// Stores is what an engine hands to the contract: fresh, migrated, empty.
type Stores struct {
	Tenancy      Tenancy
	Netflix      netflix.Store
	OCP          ocp.Store
	Deliveries   webhook.Store
	Idempotency  idempotency.Engine
	FactoryReset Reset

	// Again opens the same database once more, with connections of its
	// own, as another server process would.
	Again func(t *testing.T) Stores
	// SQL reads the database's tables straight, past the stores.
	SQL func(t *testing.T) *sql.DB
	// Crash lets the crash test reach the database from a child process.
	Crash func(t *testing.T) Crash
}

// Open returns a fresh database for one test. The engine's test package
// also runs CrashHelper as its TestCrashHelper.
type Open func(t *testing.T) Stores

// Run runs the whole contract.
func Run(t *testing.T, open Open) {
	t.Run("Tenancy", func(t *testing.T) { t.Parallel(); testTenancy(t, open) })
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessions(t, open) })
	t.Run("Promotions", func(t *testing.T) { t.Parallel(); testPromotions(t, open) })
	t.Run("Subscriptions", func(t *testing.T) { t.Parallel(); testSubscriptions(t, open) })
	t.Run("Charges", func(t *testing.T) { t.Parallel(); testCharges(t, open) })
	t.Run("ChargeSafety", func(t *testing.T) { t.Parallel(); testChargeSafety(t, open) })
	t.Run("Decisions", func(t *testing.T) { t.Parallel(); testDecisions(t, open) })
	t.Run("Devices", func(t *testing.T) { t.Parallel(); testDevices(t, open) })
	t.Run("OCP", func(t *testing.T) { t.Parallel(); testOCP(t, open) })
	t.Run("AdminTokens", func(t *testing.T) { t.Parallel(); testAdminTokens(t, open) })
	t.Run("Credentials", func(t *testing.T) { t.Parallel(); testCredentials(t, open) })
	t.Run("APIKeys", func(t *testing.T) { t.Parallel(); testAPIKeys(t, open) })
	t.Run("Idempotency", func(t *testing.T) { t.Parallel(); testIdempotency(t, open) })
	t.Run("FactoryReset", func(t *testing.T) { t.Parallel(); testFactoryReset(t, open) })
	t.Run("PluginStates", func(t *testing.T) { t.Parallel(); testPluginStates(t, open) })
	t.Run("Settings", func(t *testing.T) { t.Parallel(); testSettings(t, open) })
	t.Run("MigrationLock", func(t *testing.T) { t.Parallel(); testMigrationLock(t, open) })
	t.Run("Processor", func(t *testing.T) { t.Parallel(); testProcessor(t, open) })
	t.Run("Care", func(t *testing.T) { t.Parallel(); testCare(t, open) })
	t.Run("WebhookOutbox", func(t *testing.T) { t.Parallel(); testWebhookOutbox(t, open) })
	t.Run("WebhookQueue", func(t *testing.T) { t.Parallel(); testWebhookQueue(t, open) })
	t.Run("WebhookClaimsApart", func(t *testing.T) { t.Parallel(); testWebhookClaimsApart(t, open) })
	t.Run("WebhookAdmin", func(t *testing.T) { t.Parallel(); testWebhookAdmin(t, open) })
}

// base is the clock of the contract: fixed, so expectations are exact.
var base = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)

// tenant is an organisation with two operators and a user of the first.
type tenant struct {
	org     carebridge.Organisation
	op, op2 carebridge.Operator
	user    carebridge.User
	caller  carebridge.Caller
	stores  Stores
	ctx     context.Context
}

func setup(t *testing.T, open Open) *tenant {
	t.Helper()
	s := open(t)
	ctx := context.Background()
	tn := &tenant{stores: s, ctx: ctx}
	var err error
	tn.org = ok(s.Tenancy.CreateOrganisation(ctx, "acme", base)).must(t)
	tn.op = ok(s.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: tn.org.ID, Name: "op1", AlternativeCode: "OP1", CreatedAt: base})).must(t)
	tn.op2 = ok(s.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: tn.org.ID, Name: "op2", CreatedAt: base})).must(t)
	tn.user, err = s.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: tn.org.ID, OperatorID: tn.op.ID, Username: "alice", PasswordHash: "x", CreatedAt: base})
	if err != nil {
		t.Fatal(err)
	}
	tn.caller = carebridge.Caller{UserID: tn.user.ID, Username: "alice", Role: carebridge.RoleAPI, OperatorID: tn.op.ID, OrganisationID: tn.org.ID}
	return tn
}

// result carries a store call's answer to must: ok(s.Get(…)).must(t).
type result[T any] struct {
	v   T
	err error
}

func ok[T any](v T, err error) result[T] { return result[T]{v, err} }

// must fails the test on an error and returns the value.
func (r result[T]) must(t *testing.T) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("unexpected error: %v", r.err)
	}
	return r.v
}

// wantCode fails unless err carries the domain code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := carebridge.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
