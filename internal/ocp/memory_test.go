package ocp_test

import (
	"context"
	"maps"
	"slices"
	"time"

	"carebridge"
	"carebridge/internal/ocp"
)

// memory is an Engine in memory for the rules' unit tests: its primitives
// keep each one's contract over plain maps, and InTx undoes every write of
// a function that fails.
type memory struct {
	data memoryData
	// fail, when set, is asked before each primitive runs and may make it
	// fail with an error.
	fail func(primitive string) error
}

type memoryData struct {
	customers map[int64]ocp.Profile
	apps      map[int64]ocp.Application
	grants    map[grant]bool
	tokens    map[string]token
}

type grant struct{ app, customer int64 }

type token struct {
	app     int64
	expires time.Time
}

var _ ocp.Engine = (*memory)(nil)

func newMemory() *memory {
	return &memory{data: memoryData{
		customers: map[int64]ocp.Profile{}, apps: map[int64]ocp.Application{},
		grants: map[grant]bool{}, tokens: map[string]token{},
	}}
}

func (d memoryData) clone() memoryData {
	return memoryData{
		customers: maps.Clone(d.customers), apps: maps.Clone(d.apps),
		grants: maps.Clone(d.grants), tokens: maps.Clone(d.tokens),
	}
}

func (m *memory) InTx(ctx context.Context, fn func(tx ocp.Tx) error) error {
	saved := m.data.clone()
	if err := fn(memoryTx{m}); err != nil {
		m.data = saved
		return err
	}
	return nil
}

func (m *memory) Profile(ctx context.Context, id int64) (ocp.Profile, error) {
	p, ok := m.data.customers[id]
	if !ok {
		return p, carebridge.Errorf(carebridge.ENOTFOUND, "Customer not found.")
	}
	return p, nil
}

func (m *memory) GrantedProfile(ctx context.Context, appID, id int64) (ocp.Profile, error) {
	if !m.data.grants[grant{appID, id}] {
		return ocp.Profile{}, carebridge.Errorf(carebridge.ENOTFOUND, "Customer not found.")
	}
	return m.Profile(ctx, id)
}

func (m *memory) ApplicationByClientID(ctx context.Context, clientID string) (ocp.Application, error) {
	for _, a := range m.data.apps {
		if a.ClientID == clientID {
			return a, nil
		}
	}
	return ocp.Application{}, carebridge.Errorf(carebridge.ENOTFOUND, "No such application.")
}

func (m *memory) PermittedCustomers(ctx context.Context, appID int64) ([]int64, error) {
	ids := []int64{}
	for g := range m.data.grants {
		if g.app == appID {
			ids = append(ids, g.customer)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (m *memory) Permitted(ctx context.Context, appID, customerID int64) (bool, error) {
	return m.data.grants[grant{appID, customerID}], nil
}

func (m *memory) Token(ctx context.Context, hash []byte) (int64, time.Time, error) {
	t, ok := m.data.tokens[string(hash)]
	if !ok {
		return 0, time.Time{}, carebridge.Errorf(carebridge.ENOTFOUND, "No such token.")
	}
	return t.app, t.expires, nil
}

type memoryTx struct{ m *memory }

func (t memoryTx) check(primitive string) error {
	if t.m.fail != nil {
		return t.m.fail(primitive)
	}
	return nil
}

func (t memoryTx) UpsertCustomers(ctx context.Context, ps []ocp.Profile, at time.Time) error {
	for _, p := range ps {
		if err := t.check("UpsertCustomers"); err != nil {
			return err
		}
		t.m.data.customers[p.ID] = p
	}
	return nil
}

func (t memoryTx) InsertCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	if err := t.check("InsertCustomer"); err != nil {
		return false, err
	}
	if _, taken := t.m.data.customers[p.ID]; taken {
		return false, nil
	}
	t.m.data.customers[p.ID] = p
	return true, nil
}

func (t memoryTx) ReplaceCustomer(ctx context.Context, p ocp.Profile, at time.Time) (bool, error) {
	if err := t.check("ReplaceCustomer"); err != nil {
		return false, err
	}
	if _, exists := t.m.data.customers[p.ID]; !exists {
		return false, nil
	}
	t.m.data.customers[p.ID] = p
	return true, nil
}

func (t memoryTx) InsertApplication(ctx context.Context, a ocp.Application) (bool, error) {
	if err := t.check("InsertApplication"); err != nil {
		return false, err
	}
	for _, b := range t.m.data.apps {
		if b.AppID == a.AppID || b.ClientID == a.ClientID {
			return false, nil
		}
	}
	t.m.data.apps[a.AppID] = a
	return true, nil
}

func (t memoryTx) LockApplication(ctx context.Context, appID int64) (bool, error) {
	if err := t.check("LockApplication"); err != nil {
		return false, err
	}
	_, ok := t.m.data.apps[appID]
	return ok, nil
}

func (t memoryTx) InsertGrants(ctx context.Context, appID int64, customers []int64) error {
	if err := t.check("InsertGrants"); err != nil {
		return err
	}
	for _, c := range customers {
		t.m.data.grants[grant{appID, c}] = true
	}
	return nil
}

func (t memoryTx) DeleteGrants(ctx context.Context, appID int64, customers []int64) ([]int64, error) {
	if err := t.check("DeleteGrants"); err != nil {
		return nil, err
	}
	deleted := []int64{}
	for _, c := range customers {
		if g := (grant{appID, c}); t.m.data.grants[g] {
			delete(t.m.data.grants, g)
			deleted = append(deleted, c)
		}
	}
	return deleted, nil
}

func (t memoryTx) InsertToken(ctx context.Context, hash []byte, appID int64, at, expires time.Time) error {
	if err := t.check("InsertToken"); err != nil {
		return err
	}
	t.m.data.tokens[string(hash)] = token{appID, expires}
	return nil
}

func (t memoryTx) DeleteTokensExpiredBefore(ctx context.Context, before time.Time) (int64, error) {
	if err := t.check("DeleteTokensExpiredBefore"); err != nil {
		return 0, err
	}
	var n int64
	for h, tok := range t.m.data.tokens {
		if tok.expires.Before(before) {
			delete(t.m.data.tokens, h)
			n++
		}
	}
	return n, nil
}
