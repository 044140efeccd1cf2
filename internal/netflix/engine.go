package netflix

import (
	"context"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/webhook"
)

// Engine is what a storage engine gives the Netflix plugin: its Queries,
// and write transactions offering the primitives the rules of this
// package are written with. A primitive holds a query and whatever
// locking the engine needs to keep its contract; it decides nothing.
type Engine interface {
	Queries
	// InTx runs fn in one write transaction, committed when fn returns
	// nil and rolled back, every write of fn undone, when it returns an
	// error. A transaction the engine had to give up on (two replicas'
	// transactions deadlocked, the database busy) answers EUNAVAILABLE:
	// nothing was written, and the caller may try again.
	InTx(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is one write transaction of an Engine. What a primitive reads, the
// transaction sees as it was left by transactions committed before, and
// by the writes of this one.
type Tx interface {
	// LockCharges holds the operator's charges among ids against every
	// other transaction until this one ends, taken in id order so that
	// two transactions locking overlapping sets cannot deadlock. Ids the
	// operator has no charge under are passed over.
	LockCharges(ctx context.Context, operatorID int64, ids []int64) error
	// AckState reads what acknowledging, accepting or declining one of
	// the operator's charges depends on; ENOTFOUND when the operator has no charge of that id.
	AckState(ctx context.Context, operatorID, chargeID int64) (AckState, error)
	// StatusAcknowledged tells whether a status of a charge has been
	// acknowledged.
	StatusAcknowledged(ctx context.Context, chargeID int64, status ChargeStatus) (bool, error)
	// ClaimReferenceNumber gives an operator's reference number to a
	// charge unless one of its charges holds it already, and returns the
	// charge that holds it now. Of two transactions claiming the same
	// number, the second waits for the first and sees its claim.
	ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (holder int64, err error)
	// InsertAcknowledgement stores one acknowledgement.
	InsertAcknowledgement(ctx context.Context, a Acknowledgement) error
	// MarkAcknowledged records that a charge's status, if it is still
	// status, needs no acknowledgement any more.
	MarkAcknowledged(ctx context.Context, chargeID int64, status ChargeStatus) error

	// ClaimPendingCharges returns up to limit PENDING charges, lowest id
	// first, held by this transaction until it ends: a transaction
	// claiming at the same time gets other charges. It returns the
	// charges of operators whose ChargeDecision is DecisionAuto, and of
	// operators deciding themselves (DecisionOperator) only those stored
	// (created_at) at or before now minus that operator's decision
	// deadline; the others stay PENDING, unclaimed.
	ClaimPendingCharges(ctx context.Context, limit int, now time.Time) ([]Charge, error)
	// LatestSubscriptionOf returns the customer's most recent
	// subscription; nil when the customer has none.
	LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*Subscription, error)
	// SettleCharge gives a PENDING charge its settled status, the date of
	// that status, the subscription it was settled against (0: none), and
	// marks it unacknowledged. It reports false, writing nothing, when the
	// charge is no longer PENDING.
	SettleCharge(ctx context.Context, chargeID int64, status ChargeStatus, at time.Time, subscriptionID int64) (bool, error)
	// InsertChargeEvent appends a step to a charge's status history.
	InsertChargeEvent(ctx context.Context, e ChargeEvent) error
	// AddCustomerPrice records that a customer was charged an amount: one
	// price per amount and currency, keeping the lowest charge id that
	// paid it.
	AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error
	// SetSubscriptionState moves a subscription from the state from to
	// the life-cycle and Netflix states given. It reports false, writing
	// nothing, when the subscription is no longer in from.
	SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix State, at time.Time) (bool, error)
	// InsertEvent appends a step to a subscription's audit trail.
	InsertEvent(ctx context.Context, e Event) error
	// PublishEvents writes events (of one operator or several) to the
	// outbox, each with a delivery to every endpoint of its operator
	// taking its type, due at once and retried until the event's time
	// plus webhook.MaxAge. An event no endpoint takes is not written.
	PublishEvents(ctx context.Context, events []webhook.Event) error
	// SetTokenExpiry records when a subscription's latest registration
	// token expires; its states and updated_at stay as they are.
	SetTokenExpiry(ctx context.Context, subscriptionID int64, expiresAt time.Time) error

	// PromotionByCode reads one of the operator's promotions; ENOTFOUND
	// when the operator has none of that code.
	PromotionByCode(ctx context.Context, operatorID int64, code string) (Promotion, error)
	// LockLatestSubscriptionOf is LatestSubscriptionOf holding the
	// subscription it returns against every other transaction until this
	// one ends. It returns the latest subscription as of when the hold was
	// taken: one that another transaction created while this one waited
	// for the hold is the one returned, and held.
	LockLatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*Subscription, error)
	// InsertSubscription stores a new subscription, which must not be
	// CANCELLED, and returns its id. It reports false, writing nothing,
	// when the customer has a subscription that is not CANCELLED, however
	// recently committed: of two transactions inserting one for the same
	// customer at once, the second waits for the first to end and reports
	// false if it committed.
	InsertSubscription(ctx context.Context, s SubscriptionRecord) (id int64, inserted bool, err error)
	// InsertRedemption records a promotion redeemed with a subscription.
	InsertRedemption(ctx context.Context, r Redemption) error

	// ClaimDevices registers to the operator, as registered by a user at
	// a time, each of esns (distinct) that no operator holds, and returns
	// those of esns that another operator holds then, in no particular
	// order. Of two transactions claiming one ESN at once, the second
	// waits for the first to end and sees its claim.
	ClaimDevices(ctx context.Context, operatorID int64, esns []string, userID int64, at time.Time) (heldElsewhere []string, err error)
	// ReleaseDevices removes the operator's registrations of esns
	// (distinct) and returns the ESNs it removed, in no particular order.
	// An ESN another transaction removed first is not among them.
	ReleaseDevices(ctx context.Context, operatorID int64, esns []string) (released []string, err error)

	// MarkListedPending records that charges/list has shown the charges
	// as PENDING, whatever their status is now.
	MarkListedPending(ctx context.Context, chargeIDs []int64) error
	// InsertCharges stores charges reported to the operator, whose partner
	// ids must be distinct, as PENDING in one statement, each with its
	// intake event (from no status to PENDING, by IntakeActor, at at), and
	// returns the ids given to those it inserted, by partner id. A charge
	// whose partner id the operator holds already, however recently
	// committed, is passed over without drawing a number (retries must
	// not burn numbers). Each charge inserted keeps report ("": none). A
	// charge with a fixed ID keeps it, and numbers drawn later come after
	// it.
	InsertCharges(ctx context.Context, operatorID int64, charges []NewCharge, report string, at time.Time) (inserted map[string]int64, err error)
	// StoredCharges reads the operator's charges of the partner ids given,
	// by partner id, those other transactions committed while this one
	// waited for them included.
	StoredCharges(ctx context.Context, operatorID int64, partnerIDs []string) (map[string]StoredCharge, error)
}

// SubscriptionRecord is a new subscription as InsertSubscription stores it.
type SubscriptionRecord struct {
	OperatorID     int64
	Request        CreateRequest // the customer and the details given
	LifeCycleState State
	NetflixState   State
	PromotionID    int64 // 0: none redeemed
	TokenExpiresAt time.Time
	At             time.Time // created and last updated
}

// Redemption is a promotion redeemed by a customer with a subscription.
type Redemption struct {
	OperatorID     int64
	Customer       string
	PromotionID    int64
	SubscriptionID int64
	At             time.Time
}

// AckState is what an acknowledgement of a charge depends on.
type AckState struct {
	Customer string
	Status   ChargeStatus
	// ListedPending: charges/list has shown the charge as PENDING.
	ListedPending bool
	Amount        money.Amount
	// The partner's id of the charge, and when the partner received it:
	// what a decision's event tells of the charge.
	PartnerChargeID string
	ReceivedOn      time.Time
}

// Acknowledgement is one stored acknowledgement of a charge's status.
type Acknowledgement struct {
	ChargeID        int64
	Status          ChargeStatus
	OperatorID      int64
	ReferenceNumber string // "" for none
	ActorUserID     int64
	At              time.Time
}

// Records is the Store of an Engine: the engine answers Queries, and the
// writes below apply this package's rules in the engine's transactions,
// the same for every engine.
type Records struct {
	Engine
}

// NewRecords returns the Store of e.
func NewRecords(e Engine) *Records { return &Records{Engine: e} }

var _ Store = (*Records)(nil)
