// Package demo loads the example data of the CRM.COM and OCP documents so
// that a newcomer can try every method at once.
package demo

import (
	"context"
	"fmt"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
)

// The demo identities.
const (
	Organisation = "demo"
	Operator     = "demo"
	Username     = "demo"
	Password     = "demo"
	AdminToken   = "demo-admin-token" // for the JSON-RPC plane, named "demo"

	// Care agents of the demo operator, on the care plane: each user's
	// password is its name.
	CareAgent  = "agent" // role care
	Supervisor = "super" // role supervisor
)

// users are the demo's users, each with its password.
var users = []struct {
	name, password string
	role           carebridge.Role
}{
	{Username, Password, carebridge.RoleAPI},
	{CareAgent, CareAgent, carebridge.RoleCare},
	{Supervisor, Supervisor, carebridge.RoleSupervisor},
}

// Promotions are the promotions/list example of the CRM.COM document.
var Promotions = []netflix.Promotion{
	{Code: "14", Name: "Test", EffectiveFrom: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
	{Code: "15", Name: "Test_2", EffectiveFrom: time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)},
}

// Customers have EFFECTIVE subscriptions, so that the example charges
// settle as APPROVED.
var Customers = []string{"pci150", "1pci30", "1pci28", "1pci26"}

func date(s string) time.Time {
	t, _ := time.Parse(face.TimeLayout, s)
	return t
}

func usd(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "USD"} }

// Charges are the charges/list example of the CRM.COM document, with its
// numbers and exact amounts, entering as PENDING.
var Charges = []netflix.NewCharge{
	{ID: 2662, PartnerChargeID: "demo-2662", Customer: "pci150", Amount: usd(599), PaidThroughDate: date("2017-02-04T02:00:00"), ReceivedOn: date("2017-02-06T07:18:47")},
	{ID: 2671, PartnerChargeID: "demo-2671", Customer: "pci150", Amount: usd(599), PaidThroughDate: date("2017-02-04T02:00:00"), ReceivedOn: date("2016-07-06T07:18:47")},
	{ID: 2776, PartnerChargeID: "demo-2776", Customer: "1pci30", Amount: usd(599), PaidThroughDate: date("2017-02-19T02:00:00"), ReceivedOn: date("2017-02-21T10:07:23")},
	{ID: 2778, PartnerChargeID: "demo-2778", Customer: "1pci28", Amount: usd(299), PaidThroughDate: date("2017-02-19T02:00:00"), ReceivedOn: date("2017-02-21T10:07:24")},
	{ID: 2780, PartnerChargeID: "demo-2780", Customer: "1pci26", Amount: usd(199), PaidThroughDate: date("2017-02-19T02:00:00"), ReceivedOn: date("2017-02-21T10:07:24")},
}

// OCP demo data: application 88 may read customer 1649 (the OCP
// document's example, Premium); customer 1650 exists but is not granted.
const (
	OCPAppID    = 88
	OCPSecret   = "demo-secret"
	OCPCustomer = 1649
)

// OCPCustomers are the OCP customers of the demo.
var OCPCustomers = []ocp.Profile{
	{Customer: ocp.Customer{ID: 1649, NSID: 33333333, Name: "Acme ATM"}, Email: "doug.do@acmeatm.zzz",
		EnrollmentLevel: ocp.Premium, OCPServices: []string{""}},
	{Customer: ocp.Customer{ID: 1650, NSID: 33333334, Name: "Globex Kiosk"}, Email: "ops@globex.zzz",
		EnrollmentLevel: ocp.Base, OCPServices: []string{}},
}

// Services are what the demo data is loaded through.
type Services struct {
	Tenancy Tenancy
	Netflix *netflix.Service
	OCP     *ocp.Service
}

// The decision whether a database holds the demo, saved in the database
// the first time a server starts on it with the demo on.
const (
	decisionKey  = "demo"
	demoDatabase = "loaded"
	otherData    = "declined"
)

// Load puts the demo data into an empty database, or completes and
// restores it in a database that holds the demo (also one loaded before the
// decision was saved, recognised by the demo user and password working), so
// that a load that was interrupted finishes and a factory reset is undone.
// Any other database is left alone: it reports false, and a real
// organisation that happens to be called "demo" never gets a user with a
// well-known password. It returns the demo operator.
//
// The decision is taken once per database and saved there, under the
// migration lock: replicas starting at once agree, and a database that
// held other data stays declined even if it is emptied later.
func Load(ctx context.Context, s Services, now time.Time) (op carebridge.Operator, loaded bool, err error) {
	err = s.Tenancy.WithMigrationLock(ctx, func(ctx context.Context) error {
		op, loaded, err = load(ctx, s, now)
		return err
	})
	return op, loaded, err
}

func load(ctx context.Context, s Services, now time.Time) (carebridge.Operator, bool, error) {
	ok, err := decide(ctx, s.Tenancy)
	if err != nil || !ok {
		return carebridge.Operator{}, false, err
	}
	op, err := platform(ctx, s.Tenancy, now)
	if err != nil {
		return op, false, err
	}
	err = s.Tenancy.CreateAdminToken(ctx, carebridge.AdminToken{Name: "demo", Role: carebridge.RoleAdmin, CreatedAt: now}, auth.HashToken(AdminToken))
	if err != nil && carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		return op, false, err
	}
	if err := loadNetflix(ctx, s.Netflix, op); err != nil {
		return op, false, err
	}
	if err := loadOCP(ctx, s.OCP); err != nil {
		return op, false, err
	}
	return op, true, nil
}

// decide tells whether the database holds the demo: the saved decision, or
// the one taken now and saved (when another process saved one first, that
// one holds). An empty database, or one loaded before decisions were
// saved, becomes a demo database.
func decide(ctx context.Context, tenancy Tenancy) (bool, error) {
	demo, decided, err := savedDecision(ctx, tenancy)
	if err != nil || decided {
		return demo, err
	}
	used, err := tenancy.HasOrganisations(ctx)
	if err != nil {
		return false, err
	}
	ok := !used
	if used {
		if ok, err = earlierLoad(ctx, tenancy); err != nil {
			return false, err
		}
	}
	decision := otherData
	if ok {
		decision = demoDatabase
	}
	saved, err := tenancy.SettleSetting(ctx, decisionKey, decision)
	return saved == demoDatabase, err
}

// Decline is for a server started without the demo on an address others
// can reach: it tells whether the database holds the demo data set, whose
// passwords and tokens are public (then that server must not start), and
// otherwise saves, unless a decision is saved already, that the database
// is not a demo database, so that no server started later with the demo
// loads the demo under it. A decision another process saves at the same
// moment wins, and is what it reports.
func Decline(ctx context.Context, tenancy Tenancy) (holds bool, err error) {
	demo, decided, err := savedDecision(ctx, tenancy)
	if err != nil || decided {
		return demo, err
	}
	used, err := tenancy.HasOrganisations(ctx)
	if err != nil {
		return false, err
	}
	if used {
		if earlier, err := earlierLoad(ctx, tenancy); err != nil || earlier {
			return earlier, err
		}
	}
	saved, err := tenancy.SettleSetting(ctx, decisionKey, otherData)
	return saved == demoDatabase, err
}

// savedDecision reads the decision saved in the database, if there is one.
func savedDecision(ctx context.Context, tenancy Tenancy) (demo, decided bool, err error) {
	saved, err := tenancy.Setting(ctx, decisionKey)
	switch carebridge.ErrorCode(err) {
	case "":
		return saved == demoDatabase, true, nil
	case carebridge.ENOTFOUND:
		return false, false, nil
	}
	return false, false, err
}

// earlierLoad tells whether a demo was loaded before the decision was
// saved: the demo user logs in with the demo password.
func earlierLoad(ctx context.Context, tenancy Tenancy) (bool, error) {
	u, err := tenancy.UserForLogin(ctx, Organisation, Username)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return auth.VerifyPassword(ctx, u.PasswordHash, Password)
}

// loadOCP loads the OCP demo data unless application 88 exists already: a
// restart must not overwrite what was changed since (customers, grants).
func loadOCP(ctx context.Context, svc *ocp.Service) error {
	_, err := svc.Store.ApplicationByClientID(ctx, fmt.Sprintf("app-%d", OCPAppID))
	if carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		return err
	}
	if err := svc.SaveCustomers(ctx, OCPCustomers); err != nil {
		return err
	}
	_, _, err = svc.NewApplication(ctx, OCPAppID, "demo", OCPSecret, []int64{OCPCustomer})
	return err
}

func loadNetflix(ctx context.Context, nf *netflix.Service, op carebridge.Operator) error {
	caller := carebridge.Caller{OperatorID: op.ID, OrganisationID: op.OrganisationID, Username: "demo-loader"}
	for _, p := range Promotions {
		p.OperatorID = op.ID
		if _, err := nf.CreatePromotion(ctx, p); err != nil && carebridge.ErrorCode(err) != carebridge.ECONFLICT {
			return err
		}
	}
	// A customer who has any subscription keeps it as it is: a restart must
	// not bring back what the API or settlement cancelled.
	for _, c := range Customers {
		_, err := nf.Show(ctx, caller, c)
		if carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := nf.Create(ctx, caller, netflix.CreateRequest{Customer: c, Channel: "OTHER"}); err != nil {
			return err
		}
	}
	// Idempotent on the partner charge ids: a repeat stores nothing.
	_, err := nf.Ingest(ctx, op.ID, Charges, "")
	return err
}

// platform creates what is missing of the demo organisation, operator
// and user (all of it in an empty database) and returns the operator. It
// runs only on a database decided to hold the demo, so what it finds there
// is the demo's.
func platform(ctx context.Context, tenancy Tenancy, now time.Time) (carebridge.Operator, error) {
	org, err := tenancy.OrganisationByName(ctx, Organisation)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		org, err = tenancy.CreateOrganisation(ctx, Organisation, now)
	}
	if err != nil {
		return carebridge.Operator{}, err
	}
	op, err := tenancy.OperatorByName(ctx, org.ID, Operator)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		op, err = tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: org.ID, Name: Operator, CreatedAt: now})
	}
	if err != nil {
		return op, err
	}
	for _, u := range users {
		_, err = tenancy.UserForLogin(ctx, Organisation, u.name)
		if carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
			if err != nil {
				return op, err
			}
			continue
		}
		hash, err := auth.HashPassword(ctx, u.password)
		if err != nil {
			return op, err
		}
		_, err = tenancy.CreateUser(ctx, carebridge.User{
			OrganisationID: org.ID, OperatorID: op.ID, Username: u.name, PasswordHash: hash, Role: u.role, CreatedAt: now,
		})
		// A user disabled since is not found for a login, and stays
		// disabled: what was changed since is kept.
		if err != nil && carebridge.ErrorCode(err) != carebridge.ECONFLICT {
			return op, err
		}
	}
	return op, nil
}
