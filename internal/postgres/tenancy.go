package postgres

import "carebridge/internal/storage"

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
