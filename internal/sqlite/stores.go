package sqlite

import (
	"carebridge/internal/idempotency"
	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
	"carebridge/internal/readcache"
	"carebridge/internal/storage"
	"carebridge/internal/webhook"
)

// The stores on this engine: each is what both engines share (package
// storage, on sharedDB) and this engine's own.

// TenancyStore is the platform data on this engine: tenants, sessions,
// admin tokens, the audit log, plugin states and settings (storage.Tenancy),
// and the migration lock (settings.go). It satisfies the role each
// consumer defines (auth.Store, rpcapi.Platform, …).
type TenancyStore struct {
	*storage.Tenancy
	db *DB
}

// NewTenancyStore returns the platform store on db.
func NewTenancyStore(db *DB) *TenancyStore {
	return &TenancyStore{Tenancy: storage.NewTenancy(sharedDB{db}), db: db}
}

// NetflixEngine is the Netflix plugin's engine on SQLite (netflix.Engine):
// the queries and primitives both engines share (storage.NetflixQueries,
// storage.NetflixTx) and its own (netflix_tx.go; devices.go and charges.go
// for devices and charge intake).
type NetflixEngine struct {
	storage.NetflixQueries
	db *DB
}

// NewNetflixStore returns the Netflix plugin's store on db: this engine,
// its subscriptions/show read through the database's cache, under the
// domain's rules.
func NewNetflixStore(db *DB) *netflix.Records {
	e := &NetflixEngine{NetflixQueries: storage.NetflixQueries{DB: sharedDB{db}}, db: db}
	return netflix.NewRecords(&storage.CachedNetflix{Engine: e, Parts: e, Cache: db.showCache, Watch: db.showWatch})
}

// ObserveReadCaches makes the database's read caches report to the
// observer observe returns for each cache's name.
func (db *DB) ObserveReadCaches(observe func(name string) readcache.Observer) {
	db.showCache.Observe(observe("subscriptions"))
	db.ocpCaches.Profiles.Observe(observe("ocp_profiles"))
	db.ocpCaches.Grants.Observe(observe("ocp_grants"))
}

var _ netflix.Engine = (*NetflixEngine)(nil)

// OCPEngine is the OCP plugin's engine on SQLite (ocp.Engine): the queries
// both engines share (storage.OCPQueries), and the primitives its rules
// write with (ocp_customers.go, ocp_tx.go).
type OCPEngine struct {
	storage.OCPQueries
	db *DB
}

// NewOCPStore returns the OCP plugin's store on db: this engine, its
// profile and grant reads through the database's caches, under the
// domain's rules.
func NewOCPStore(db *DB) *ocp.Records {
	e := &OCPEngine{OCPQueries: storage.OCPQueries{DB: sharedDB{db}}, db: db}
	return ocp.NewRecords(&storage.CachedOCP{Engine: e, Caches: db.ocpCaches, Watch: db.ocpWatch})
}

var _ ocp.Engine = (*OCPEngine)(nil)

// NewDeliveries returns the queue of webhook deliveries on db.
func NewDeliveries(db *DB) webhook.Store { return storage.Deliveries{DB: sharedDB{db}} }

// NewIdempotencyStore returns the CRM.COM face's idempotency keys on db:
// what both engines share (storage.Idempotency).
func NewIdempotencyStore(db *DB) idempotency.Engine {
	return storage.Idempotency{DB: sharedDB{db}}
}
