package idempotency

import (
	"context"
	"time"
)

// Record is one stored key of a user.
type Record struct {
	UserID      int64
	Key         string
	Fingerprint []byte
	CreatedAt   time.Time
	// ExpiresAt ends the record: from then on the key is new again.
	ExpiresAt time.Time
	// LeaseUntil is how long the request that holds the key is trusted to
	// be alive; zero once answered.
	LeaseUntil time.Time
	// Answer is nil while the request runs.
	Answer *Answer
}

// Answer is what the first request was answered: the HTTP status and the
// body, replayed byte for byte.
type Answer struct {
	Status int
	Body   []byte
}

// Engine stores the keys. Its transactions are what make the rules safe
// across replicas: the store, not a process, decides who holds a key.
type Engine interface {
	// InTx runs fn in a write transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
	// Key reads the user's key as last committed, outside any write
	// transaction; ENOTFOUND when there is none.
	Key(ctx context.Context, userID int64, key string) (Record, error)
	// DeleteExpired deletes the records whose ExpiresAt is not after now.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Tx is the primitives of one transaction: reads, writes and locks, no
// decisions.
type Tx interface {
	// InsertKey inserts rec unless the user already has the key, and
	// says whether it did. When another transaction is inserting the same
	// key, it waits for that one to end.
	InsertKey(ctx context.Context, rec Record) (inserted bool, err error)
	// LockKey reads the user's key and keeps it from changing under the
	// transaction; ENOTFOUND when there is none.
	LockKey(ctx context.Context, userID int64, key string) (Record, error)
	// RestartKey replaces the user's key's record with rec (running, no
	// answer).
	RestartKey(ctx context.Context, rec Record) error
	// StoreAnswer records the answer of the running record whose lease
	// ends at lease, until expiresAt, and says whether there was one.
	StoreAnswer(ctx context.Context, userID int64, key string, lease time.Time, a Answer, expiresAt time.Time) (bool, error)
	// DeleteKey deletes the running record whose lease ends at lease, and
	// says whether there was one.
	DeleteKey(ctx context.Context, userID int64, key string, lease time.Time) (bool, error)
}
