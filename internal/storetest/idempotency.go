package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/idempotency"
)

// testIdempotency: a key is inserted once per user, read back as stored
// (answers byte for byte), restarted in place; an answer is stored, and a
// running key deleted, only by the holder of its lease; expired keys are
// purged; and a second transaction inserting a key another one is
// inserting waits for it, then inserts nothing and reads its row.
func testIdempotency(t *testing.T, open Open) {
	tn := setup(t, open)
	e, ctx := tn.stores.Idempotency, tn.ctx
	bob, err := tn.stores.Tenancy.CreateUser(ctx, carebridge.User{OrganisationID: tn.org.ID, OperatorID: tn.op.ID, Username: "bob", PasswordHash: "x", CreatedAt: base})
	if err != nil {
		t.Fatal(err)
	}
	fp := bytes.Repeat([]byte{0xAB}, 32)
	rec := idempotency.Record{
		UserID: tn.user.ID, Key: "k-1", Fingerprint: fp, CreatedAt: base,
		ExpiresAt: base.Add(24 * time.Hour), LeaseUntil: base.Add(time.Minute),
	}
	tx := func(fn func(idempotency.Tx) error) {
		t.Helper()
		if err := e.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	insert := func(r idempotency.Record) (inserted bool) {
		t.Helper()
		tx(func(tx idempotency.Tx) (err error) { inserted, err = tx.InsertKey(ctx, r); return err })
		return inserted
	}
	lock := func(userID int64, key string) (r idempotency.Record, err error) {
		t.Helper()
		tx(func(tx idempotency.Tx) error { r, err = tx.LockKey(ctx, userID, key); return nil })
		return r, err
	}

	if !insert(rec) || insert(rec) {
		t.Fatal("InsertKey: want the first insert only")
	}
	other := rec
	other.UserID = bob.ID
	if !insert(other) {
		t.Fatal("InsertKey: another user's same key is another record")
	}
	got, err := lock(tn.user.ID, "k-1")
	if err != nil || got.UserID != tn.user.ID || got.Key != "k-1" || !bytes.Equal(got.Fingerprint, fp) ||
		!got.CreatedAt.Equal(base) || !got.ExpiresAt.Equal(rec.ExpiresAt) || !got.LeaseUntil.Equal(rec.LeaseUntil) || got.Answer != nil {
		t.Fatalf("LockKey = %+v, %v", got, err)
	}
	_, err = lock(tn.user.ID, "nope")
	wantCode(t, err, carebridge.ENOTFOUND)

	// Only the holder of the lease stores an answer; bytes come back as
	// they were, whatever they are.
	body := append([]byte(`{"data":{"netflix_token":"x"}}`), 0x00, 0xFF, '\n')
	store := func(lease time.Time, a idempotency.Answer) (stored bool) {
		t.Helper()
		tx(func(tx idempotency.Tx) (err error) {
			stored, err = tx.StoreAnswer(ctx, tn.user.ID, "k-1", lease, a, base.Add(25*time.Hour))
			return err
		})
		return stored
	}
	if store(rec.LeaseUntil.Add(time.Second), idempotency.Answer{Status: 200, Body: body}) {
		t.Fatal("StoreAnswer with another lease stored")
	}
	if !store(rec.LeaseUntil, idempotency.Answer{Status: 200, Body: body}) {
		t.Fatal("StoreAnswer with the lease stored nothing")
	}
	if store(rec.LeaseUntil, idempotency.Answer{Status: 409, Body: []byte("{}")}) {
		t.Fatal("StoreAnswer stored twice")
	}
	got, err = lock(tn.user.ID, "k-1")
	if err != nil || got.Answer == nil || got.Answer.Status != 200 || !bytes.Equal(got.Answer.Body, body) ||
		!got.LeaseUntil.IsZero() || !got.ExpiresAt.Equal(base.Add(25*time.Hour)) {
		t.Fatalf("LockKey after StoreAnswer = %+v, %v", got, err)
	}
	// Key reads the same, outside a write transaction.
	if read, err := e.Key(ctx, tn.user.ID, "k-1"); err != nil || read.Answer == nil || !bytes.Equal(read.Answer.Body, body) ||
		!read.ExpiresAt.Equal(got.ExpiresAt) || !bytes.Equal(read.Fingerprint, fp) || !read.LeaseUntil.IsZero() {
		t.Fatalf("Key after StoreAnswer = %+v, %v", read, err)
	}
	_, err = e.Key(ctx, tn.user.ID, "nope")
	wantCode(t, err, carebridge.ENOTFOUND)

	// Restarted in place: running again, under another fingerprint.
	again := rec
	again.Fingerprint, again.CreatedAt = bytes.Repeat([]byte{1}, 32), base.Add(26*time.Hour)
	again.ExpiresAt, again.LeaseUntil = base.Add(50*time.Hour), base.Add(26*time.Hour+time.Minute)
	tx(func(tx idempotency.Tx) error { return tx.RestartKey(ctx, again) })
	got, err = lock(tn.user.ID, "k-1")
	if err != nil || got.Answer != nil || !bytes.Equal(got.Fingerprint, again.Fingerprint) ||
		!got.CreatedAt.Equal(again.CreatedAt) || !got.LeaseUntil.Equal(again.LeaseUntil) {
		t.Fatalf("LockKey after RestartKey = %+v, %v", got, err)
	}
	err = e.InTx(ctx, func(tx idempotency.Tx) error {
		return tx.RestartKey(ctx, idempotency.Record{UserID: tn.user.ID, Key: "nope"})
	})
	wantCode(t, err, carebridge.ENOTFOUND)

	// Deleted only by the holder of the lease, and only while running.
	del := func(userID int64, lease time.Time) (deleted bool) {
		t.Helper()
		tx(func(tx idempotency.Tx) (err error) {
			deleted, err = tx.DeleteKey(ctx, userID, "k-1", lease)
			return err
		})
		return deleted
	}
	if del(tn.user.ID, rec.LeaseUntil) {
		t.Fatal("DeleteKey with an old lease deleted")
	}
	if !del(tn.user.ID, again.LeaseUntil) {
		t.Fatal("DeleteKey with the lease deleted nothing")
	}
	if _, err := lock(tn.user.ID, "k-1"); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("after DeleteKey: %v", err)
	}
	if _, err := lock(bob.ID, "k-1"); err != nil {
		t.Fatalf("bob's key went with alice's: %v", err)
	}

	// A rolled back transaction leaves nothing.
	err = e.InTx(ctx, func(tx idempotency.Tx) error {
		if _, err := tx.InsertKey(ctx, rec); err != nil {
			return err
		}
		return carebridge.Errorf(carebridge.ECONFLICT, "roll back")
	})
	wantCode(t, err, carebridge.ECONFLICT)
	if _, err := lock(tn.user.ID, "k-1"); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("after a rollback: %v", err)
	}

	// Purged when expires_at is not after now.
	if n := ok(e.DeleteExpired(ctx, base.Add(24*time.Hour-time.Second))).must(t); n != 0 {
		t.Fatalf("DeleteExpired before expiry = %d", n)
	}
	if n := ok(e.DeleteExpired(ctx, base.Add(24*time.Hour))).must(t); n != 1 {
		t.Fatalf("DeleteExpired at expiry = %d", n)
	}

	testIdempotencyRace(t, tn, rec)
}

// testIdempotencyRace: while one transaction holds a key it inserted,
// another's insert of it (with connections of its own, as another replica)
// does not end; once the first commits, the second inserts nothing and
// reads the first's row.
func testIdempotencyRace(t *testing.T, tn *tenant, rec idempotency.Record) {
	ctx, cancel := context.WithTimeout(tn.ctx, time.Minute)
	defer cancel()
	rec.Key = "race"
	second := tn.stores.Again(t).Idempotency
	inserted, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- tn.stores.Idempotency.InTx(ctx, func(tx idempotency.Tx) error {
			if ok, err := tx.InsertKey(ctx, rec); err != nil || !ok {
				close(inserted)
				return carebridge.Errorf(carebridge.EINTERNAL, "first insert = %v, %v", ok, err)
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted
	type outcome struct {
		inserted bool
		row      idempotency.Record
		err      error
	}
	secondDone := make(chan outcome, 1)
	started := make(chan struct{})
	go func() {
		var o outcome
		close(started)
		o.err = second.InTx(ctx, func(tx idempotency.Tx) error {
			var err error
			if o.inserted, err = tx.InsertKey(ctx, rec); err != nil {
				return err
			}
			o.row, err = tx.LockKey(ctx, rec.UserID, rec.Key)
			return err
		})
		secondDone <- o
	}()
	<-started
	select {
	case o := <-secondDone:
		t.Fatalf("the second transaction ended while the first held the key: %+v", o)
	default:
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	o := <-secondDone
	if o.err != nil || o.inserted || o.row.Key != "race" || o.row.UserID != rec.UserID {
		t.Fatalf("second transaction = %+v", o)
	}
}
