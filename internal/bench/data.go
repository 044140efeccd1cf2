package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/server"
)

// Data sizes at scale 1; --scale multiplies them.
const (
	baseOCPCustomers  = 10_000
	baseSubscriptions = 2_000 // one durable commit each: the store has no batch create
	baseCharges       = 100_000
	baseDevices       = 100_000

	batchSize         = 1000 // IngestCharges, RegisterDevices, SaveCustomers
	settleBatch       = 500  // as the server's processor settles
	subscriptionProcs = 8    // subscriptions created at once
)

// sizes is how much data to generate.
type sizes struct {
	ocpCustomers, subscriptions, charges, devices int
}

func sizesFor(scale float64) sizes {
	n := func(base int) int { return max(1, int(math.Round(float64(base)*scale))) }
	return sizes{n(baseOCPCustomers), n(baseSubscriptions), n(baseCharges), n(baseDevices)}
}

// dataset is what the scenarios need to know of the generated data.
type dataset struct {
	run           string // random hex naming this run's records
	org           carebridge.Organisation
	op            carebridge.Operator
	username      string
	password      string
	adminToken    string
	partnerSecret string
	ocpClientID   string
	ocpSecret     string
	ocpFirstID    int64    // OCP customers are ocpFirstID … ocpFirstID+ocpCount-1
	ocpCount      int      // all granted to the application
	customers     []string // billing-system customers with an EFFECTIVE subscription
	size          Data
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// load generates a new organisation with its data into the database,
// through the stores, set-based where the stores are: charges and devices
// in batches of 1000, OCP customers likewise. Charges are settled as the
// server's processor would, so that the server starts on a database at
// rest.
func load(ctx context.Context, dbURL string, sz sizes, progress func(string, ...any)) (*dataset, error) {
	begin := time.Now()
	stores, err := server.OpenStores(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer stores.Close()
	now := time.Now().UTC().Truncate(time.Second)
	d := &dataset{run: randomHex(4), username: "bench", password: randomHex(16), adminToken: randomHex(24)}

	// The platform: organisation, operator, user, admin token.
	if d.org, err = stores.Tenancy.CreateOrganisation(ctx, "bench-"+d.run, now); err != nil {
		return nil, err
	}
	if d.op, err = stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: d.org.ID, Name: "bench", CreatedAt: now}); err != nil {
		return nil, err
	}
	if d.partnerSecret, err = stores.Tenancy.PartnerSecret(ctx, d.op.ID); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(ctx, d.password)
	if err != nil {
		return nil, err
	}
	user, err := stores.Tenancy.CreateUser(ctx, carebridge.User{
		OrganisationID: d.org.ID, OperatorID: d.op.ID, Username: d.username, PasswordHash: hash, CreatedAt: now,
	})
	if err != nil {
		return nil, err
	}
	if err := stores.Tenancy.CreateAdminToken(ctx, carebridge.AdminToken{Name: d.org.Name, Role: carebridge.RoleAdmin, CreatedAt: now}, auth.HashToken(d.adminToken)); err != nil {
		return nil, err
	}
	caller := carebridge.Caller{UserID: user.ID, Username: user.Username, OperatorID: d.op.ID, OrganisationID: d.org.ID}

	// OCP: customer and application ids are global, not per tenant, so
	// they are drawn from a random range far above hand-made ids: a
	// shared database's own customers are never overwritten.
	ocpSvc := &ocp.Service{Store: stores.OCP, Now: time.Now, TokenLifetime: time.Hour}
	d.ocpFirstID = (mrand.Int64N(1<<20) + 1) << 32
	d.ocpCount = sz.ocpCustomers
	ids := make([]int64, 0, sz.ocpCustomers)
	for start := 0; start < sz.ocpCustomers; start += batchSize {
		batch := make([]ocp.Profile, 0, batchSize)
		for i := start; i < min(start+batchSize, sz.ocpCustomers); i++ {
			id := d.ocpFirstID + int64(i)
			ids = append(ids, id)
			batch = append(batch, ocp.Profile{
				Customer:        ocp.Customer{ID: id, NSID: int64(30_000_000 + i), Name: fmt.Sprintf("Bench customer %d", i)},
				Email:           fmt.Sprintf("customer%d@bench.example.com", i),
				EnrollmentLevel: ocp.Levels[i%len(ocp.Levels)],
				CanViewIP:       i%2 == 0,
				OCPServices:     []string{"wifi", "tv"},
			})
		}
		if err := ocpSvc.SaveCustomers(ctx, batch); err != nil {
			return nil, fmt.Errorf("save OCP customers: %w", err)
		}
	}
	app, secret, err := ocpSvc.NewApplication(ctx, d.ocpFirstID, "bench-"+d.run, "", ids)
	if err != nil {
		return nil, fmt.Errorf("create the OCP application: %w", err)
	}
	d.ocpClientID, d.ocpSecret = app.ClientID, secret
	progress("%d OCP customers", sz.ocpCustomers)

	// Subscriptions, one transaction each (the store's only way).
	d.customers = make([]string, sz.subscriptions)
	for i := range d.customers {
		d.customers[i] = fmt.Sprintf("bc-%s-%07d", d.run, i)
	}
	if err := createSubscriptions(ctx, stores, d, caller, now); err != nil {
		return nil, err
	}
	progress("%d subscriptions", sz.subscriptions)

	// Charges for those customers, received over the past, then settled.
	nf := &netflix.Service{Store: stores.Netflix, Now: time.Now}
	first := now.Add(-time.Duration(sz.charges) * time.Second)
	for start := 0; start < sz.charges; start += batchSize {
		batch := make([]netflix.NewCharge, 0, batchSize)
		for i := start; i < min(start+batchSize, sz.charges); i++ {
			batch = append(batch, netflix.NewCharge{
				PartnerChargeID: fmt.Sprintf("bench-%s-%d", d.run, i),
				Customer:        d.customers[i%len(d.customers)],
				Amount:          money.Amount{Minor: 599, Currency: "USD"},
				PaidThroughDate: first.Add(time.Duration(i)*time.Second + 30*24*time.Hour),
				ReceivedOn:      first.Add(time.Duration(i) * time.Second),
			})
		}
		results, err := nf.Ingest(ctx, d.op.ID, batch, "")
		if err != nil {
			return nil, fmt.Errorf("ingest charges: %w", err)
		}
		for _, r := range results {
			if r.Err != nil || r.Duplicate {
				return nil, fmt.Errorf("ingest charge %s: not created: %v", r.PartnerChargeID, r.Err)
			}
		}
	}
	progress("%d charges", sz.charges)
	settled := 0
	for range sz.charges/settleBatch + 1000 { // bounded: other operators may have some PENDING too
		batch, err := stores.Netflix.SettleCharges(ctx, settleBatch, now, netflix.Settlement)
		n := len(batch)
		if err != nil {
			return nil, fmt.Errorf("settle charges: %w", err)
		}
		settled += n
		if n < settleBatch {
			break
		}
	}
	progress("%d charges settled", settled)

	// Devices of the operator.
	for start := 0; start < sz.devices; start += batchSize {
		batch := make([]string, 0, batchSize)
		for i := start; i < min(start+batchSize, sz.devices); i++ {
			batch = append(batch, fmt.Sprintf("BENCH-%s-D%09d", d.run, i))
		}
		failed, err := stores.Netflix.RegisterDevices(ctx, d.op.ID, batch, caller, now)
		if err != nil {
			return nil, fmt.Errorf("register devices: %w", err)
		}
		if len(failed) > 0 {
			return nil, fmt.Errorf("register devices: %d failed, such as %s", len(failed), failed[0])
		}
	}
	progress("%d devices", sz.devices)
	if isPostgres(dbURL) {
		if err := vacuum(ctx, dbURL); err != nil {
			return nil, err
		}
		progress("vacuumed and analysed")
	}

	d.size = Data{
		Organisation: d.org.Name, OCPCustomers: sz.ocpCustomers, Subscriptions: sz.subscriptions,
		Charges: sz.charges, Devices: sz.devices, LoadSeconds: time.Since(begin).Seconds(),
	}
	return d, nil
}

// loadedTables are the tables the load fills.
var loadedTables = []string{
	"ocp_customers", "ocp_application_customers", "netflix_subscriptions", "netflix_redemptions",
	"netflix_charges", "netflix_charge_events", "netflix_customer_prices", "netflix_devices",
}

// vacuum brings freshly loaded PostgreSQL tables to the state autovacuum
// keeps a running database in: statistics for the planner, and a
// visibility map so that index-only scans need not visit the table (right
// after a bulk load every such scan fetches each row from the heap).
func vacuum(ctx context.Context, dbURL string) error {
	// Parsed as the server parses it: the URL may carry pool settings
	// (pool_max_conns=…), which a plain connection would send to the
	// server as unknown parameters.
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+strings.Join(loadedTables, ", ")); err != nil {
		return fmt.Errorf("vacuum the loaded tables: %w", err)
	}
	return nil
}

// createSubscriptions creates an EFFECTIVE subscription for each customer,
// a few at a time.
func createSubscriptions(ctx context.Context, stores *server.Stores, d *dataset, caller carebridge.Caller, now time.Time) error {
	next := make(chan string)
	errs := make(chan error, subscriptionProcs)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range subscriptionProcs {
		wg.Go(func() {
			for c := range next {
				_, err := stores.Netflix.CreateSubscription(ctx, netflix.NewSubscription{
					OperatorID: d.op.ID, Actor: caller, At: now, TokenExpiresAt: now.Add(time.Hour),
					Request: netflix.CreateRequest{Customer: c, Channel: "OTHER"},
				})
				if err != nil {
					errs <- fmt.Errorf("create the subscription of %s: %w", c, err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for _, c := range d.customers {
		select {
		case next <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}
