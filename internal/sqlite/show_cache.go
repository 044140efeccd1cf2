package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// The read caches (storage.CachedNetflix, storage.CachedOCP): their
// bounds, and how long a write by another process (the CLI on the same
// file) may go unseen by a cached read.
const (
	showCacheEntries  = 20_000
	showCacheBytes    = 16 << 20
	ocpCacheEntries   = 20_000
	ocpCacheBytes     = 16 << 20
	externalWriteSeen = 100 * time.Millisecond
)

// showPartsSQL is showSubscriptionSQL with every redemption of the
// customer and its time, whatever the lookback: the cache applies it.
const showPartsSQL = `SELECT ` + storage.SubscriptionColumns + `,
	  (SELECT json_group_array(json_object('redemption', r.id, 'at', r.redeemed_at, 'id', p.id, 'code', p.code, 'name', p.name,
	                                   'description', p.description, 'effective_from', p.effective_from, 'expires_on', p.expires_on))
	     FROM netflix_redemptions r JOIN netflix_promotions p ON p.id = r.promotion_id
	     WHERE r.operator_id = ?1 AND r.customer_identifier = ?2),
	  (SELECT json_group_array(json_object('first', first_charge_id, 'minor', amount_minor, 'currency', currency))
	     FROM netflix_customer_prices WHERE operator_id = ?1 AND customer_identifier = ?2)
	FROM netflix_subscriptions s
	WHERE s.operator_id = ?1 AND s.customer_identifier = ?2 ORDER BY s.id DESC LIMIT 1`

// ShowParts reads what the cache keeps of subscriptions/show.
func (s *NetflixEngine) ShowParts(ctx context.Context, operatorID int64, customer string) (storage.ShowParts, error) {
	var p storage.ShowParts
	var created, updated int64
	var redemptions, prices []byte
	sub := &p.Subscription
	err := s.db.readRow(ctx, showPartsSQL, operatorID, customer).Scan(
		&sub.ID, &sub.OperatorID, &sub.Customer, &sub.LifeCycleState, &sub.NetflixState, &created, &updated, &redemptions, &prices)
	if storage.NoRows(err) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	p.Found = true
	sub.CreatedAt, sub.UpdatedAt = storage.FromUnix(created), storage.FromUnix(updated)
	if p.Redemptions, err = decodeRedemptions(operatorID, redemptions); err != nil {
		return p, err
	}
	p.Prices, err = decodePrices(prices)
	return p, err
}

// partRedemption is a row of showPartsSQL's redemptions.
type partRedemption struct {
	shownRedemption
	At int64 `json:"at"`
}

// decodeRedemptions reads showPartsSQL's redemptions, lowest id first.
func decodeRedemptions(operatorID int64, b []byte) ([]storage.Redeemed, error) {
	var rows []partRedemption
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("decode redemptions: %w", err)
	}
	slices.SortFunc(rows, func(a, b partRedemption) int { return cmp.Compare(a.Redemption, b.Redemption) })
	out := make([]storage.Redeemed, len(rows))
	for i, r := range rows {
		p := netflix.Promotion{ID: r.ID, OperatorID: operatorID, Code: r.Code, Name: r.Name, EffectiveFrom: storage.FromUnix(r.EffectiveFrom)}
		if r.Description != nil {
			p.Description = *r.Description
		}
		if r.ExpiresOn != nil {
			p.ExpiresOn = storage.FromUnix(*r.ExpiresOn)
		}
		out[i] = storage.Redeemed{At: storage.FromUnix(r.At), Promotion: p}
	}
	return out, nil
}

// versionWatch is storage.Watch on SQLite: PRAGMA data_version on the
// writer connection changes when, and only when, another connection (the
// reader pool never writes, so another process) commits. It is read at
// most every externalWriteSeen, before a cached read, so a cached read
// started that long after another process's commit sees it.
type versionWatch struct {
	db  *DB
	now func() time.Time

	due     atomic.Int64 // unix nanoseconds: when to read the version again
	mu      sync.Mutex
	version int64
	known   bool
}

func (w *versionWatch) Fresh(ctx context.Context, caches storage.Clearer) bool {
	now := w.now()
	if now.UnixNano() < w.due.Load() {
		return true
	}
	if !w.mu.TryLock() {
		return false // another read is looking: go to the database
	}
	defer w.mu.Unlock()
	if now.UnixNano() < w.due.Load() {
		return true
	}
	var v int64
	if err := w.db.write.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return false
	}
	if !w.known || v != w.version {
		caches.Clear() // before due moves: no read skips the look until then
	}
	w.version, w.known = v, true
	w.due.Store(now.Add(externalWriteSeen).UnixNano())
	return true
}
