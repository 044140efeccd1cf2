// Package netflix is the Netflix plugin's domain: promotions, subscriptions
// and their life cycle, as the CRM.COM Netflix Web API describes them. It
// knows nothing of HTTP or SQL; the crmapi face and the storage engines
// depend on it.
package netflix

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/money"
)

// State is a subscription's life-cycle state in CRM.COM, and (EFFECTIVE or
// NOT_EFFECTIVE only) its state on Netflix.
type State string

const (
	Effective    State = "EFFECTIVE"
	NotEffective State = "NOT_EFFECTIVE"
	Cancelled    State = "CANCELLED"
)

// Promotion is an offer an operator's customers can redeem at registration.
type Promotion struct {
	ID            int64
	OperatorID    int64
	Code          string
	Name          string
	Description   string    // empty: none
	EffectiveFrom time.Time // inclusive
	ExpiresOn     time.Time // exclusive; zero: never
}

// InEffect tells whether the promotion can be redeemed at t.
func (p Promotion) InEffect(t time.Time) bool {
	return !t.Before(p.EffectiveFrom) && (p.ExpiresOn.IsZero() || t.Before(p.ExpiresOn))
}

// CheckInEffect is InEffect as the error a create answers.
func (p Promotion) CheckInEffect(t time.Time) error {
	if !p.InEffect(t) {
		return carebridge.Errorf(carebridge.EINVALID, "Promotion %q is not in effect now.", p.Code)
	}
	return nil
}

// Subscription is one Netflix subscription of a billing-system customer.
type Subscription struct {
	ID             int64
	OperatorID     int64
	Customer       string // billing_system_customer_identifier
	LifeCycleState State
	NetflixState   State
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Number is the CRM.COM subscription number, derived from the id. Ids come
// from one sequence across tenants, so numbers are unique everywhere (an
// operator can infer how many subscriptions exist in total; nothing else).
func (s Subscription) Number() string { return SubscriptionNumber(s.ID) }

// SubscriptionNumber formats an id as CRM.COM prints it: S0000003566.
func SubscriptionNumber(id int64) string { return fmt.Sprintf("S%010d", id) }

// ParseSubscriptionNumber is the inverse of SubscriptionNumber: only the
// exact text SubscriptionNumber prints is accepted.
func ParseSubscriptionNumber(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "S")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 || SubscriptionNumber(id) != s {
		return 0, false
	}
	return id, true
}

// SubscriptionView is what subscriptions/show reports about a customer.
type SubscriptionView struct {
	Subscription
	Promotions []Promotion    // redeemed by the customer in the last 10 months
	Prices     []money.Amount // distinct amounts of the customer's approved charges
}

// PromotionLookbackMonths is how far back subscriptions/show reports
// redeemed promotions ("in the last 10 months", per the CRM.COM document).
const PromotionLookbackMonths = 10

// Store keeps the Netflix plugin's data. Each method is one transaction and
// every method but SettleCharges is scoped to one operator. Records is the
// Store of every engine: the engine answers Queries itself, and Records
// applies the rules of this package, reading and writing with the
// primitives of the engine's transactions (Tx).
type Store interface {
	Queries

	// CreateSubscription checks the promotion (it must exist for the
	// operator and be in effect at n.At), refuses a customer who already has
	// a subscription that is not CANCELLED (ECONFLICT), and stores the
	// subscription, the redemption and the audit record together.
	CreateSubscription(ctx context.Context, n NewSubscription) (Subscription, error)

	// TransitionSubscription applies action to the customer's most recent
	// subscription (ENOTFOUND without one; ECONFLICT when Next forbids it)
	// and records the audit event with reason ("" for none).
	TransitionSubscription(ctx context.Context, operatorID int64, customer string, action Action, actor carebridge.Caller, reason string, at time.Time) (Subscription, error)

	// ReissueToken records a new registration token of the customer's
	// latest subscription, which must still be r.SubscriptionID and
	// EFFECTIVE (ECONFLICT otherwise, ENOTFOUND without one), with its
	// audit event.
	ReissueToken(ctx context.Context, r TokenReissue) (Subscription, error)

	// IngestCharges stores reported charges as PENDING, idempotently on the
	// partner's charge id: a charge reported before is answered with its
	// number and stored again nowhere. report names the signed report the
	// charges came in ("" for none); each charge it creates keeps it, and the
	// answers come from IngestResults. The charges must be valid.
	IngestCharges(ctx context.Context, operatorID int64, charges []NewCharge, report string, at time.Time) ([]IngestResult, error)

	// UnacknowledgedCharges lists an operator's charges whose current status
	// has not been acknowledged, oldest received_on first (ties by number),
	// and records which PENDING ones it has shown.
	UnacknowledgedCharges(ctx context.Context, operatorID int64, r ListRequest) ([]Charge, error)

	// AcknowledgeCharges acknowledges each charge's current status; items
	// that cannot be acknowledged are returned, the others are stored
	// together.
	AcknowledgeCharges(ctx context.Context, operatorID int64, acks []Ack, actor carebridge.Caller, at time.Time) ([]AckFailure, error)

	// DecideCharges settles an operator's PENDING charges with the status
	// the operator decided (APPROVED or DECLINED) as SettleCharges would,
	// the actor being the caller; items that cannot be decided are
	// returned with their failure codes, the others are settled together
	// and returned once committed.
	DecideCharges(ctx context.Context, operatorID int64, ds []Decision, status ChargeStatus, actor carebridge.Caller, at time.Time) ([]AckFailure, []Settled, error)

	// SettleCharges settles up to limit PENDING charges of any operator,
	// oldest first, in one transaction: claim, decide with settle, write the
	// status and its date, end the subscription when the status terminates
	// it, and commit. It returns what it settled, once committed; a
	// failure before commit leaves every claimed charge PENDING.
	SettleCharges(ctx context.Context, limit int, at time.Time, settle SettleFunc) ([]Settled, error)

	// RegisterDevices registers valid, distinct ESNs to an operator in one
	// transaction and returns those registered to another operator, in
	// the order given.
	RegisterDevices(ctx context.Context, operatorID int64, esns []string, actor carebridge.Caller, at time.Time) (failed []string, err error)

	// UnregisterDevices removes valid, distinct ESNs from an operator in one
	// transaction and returns those that were not registered to it, in
	// the order given.
	UnregisterDevices(ctx context.Context, operatorID int64, esns []string) (failed []string, err error)
}

// Queries are what an engine answers without a rule of this package to
// apply: reads, and writes that no rule governs.
type Queries interface {
	CreatePromotion(ctx context.Context, p Promotion, at time.Time) (Promotion, error)
	// Promotions lists an operator's promotions, oldest effective_from first.
	Promotions(ctx context.Context, operatorID int64) ([]Promotion, error)
	// Promotion finds one by code; ENOTFOUND when the operator has none.
	Promotion(ctx context.Context, operatorID int64, code string) (Promotion, error)

	// LatestSubscription returns the customer's most recent subscription
	// with the promotions the customer redeemed at or after redeemedSince.
	LatestSubscription(ctx context.Context, operatorID int64, customer string, redeemedSince time.Time) (SubscriptionView, error)

	// SubscriptionEvents returns a subscription's audit trail, oldest first.
	SubscriptionEvents(ctx context.Context, operatorID, subscriptionID int64) ([]Event, error)

	// PendingCharges counts the PENDING charges of every operator and
	// gives the created_at of the oldest one the processor may settle at
	// now, as ClaimPendingCharges chooses them (zero when there is none):
	// the backlog the processor has yet to settle. A charge an operator
	// still has time to decide counts, but is not the oldest.
	PendingCharges(ctx context.Context, now time.Time) (PendingSummary, error)

	// ListUnacknowledgedCharges lists an operator's charges whose current
	// status has not been acknowledged, oldest received_on first (ties by
	// number), each with whether charges/list has shown it as PENDING.
	ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r ListRequest) ([]ListedCharge, error)

	// ChargeEvents returns a charge's status history, oldest first.
	ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]ChargeEvent, error)

	CareQueries
}

// ListedCharge is a charge as ListUnacknowledgedCharges reads it.
type ListedCharge struct {
	Charge
	// ListedPending: charges/list has shown the charge as PENDING.
	ListedPending bool
}

// ChargeEvent is one step of a charge's status history.
type ChargeEvent struct {
	ChargeID int64
	From     ChargeStatus // empty when the charge was reported
	To       ChargeStatus
	Actor    string
	At       time.Time
}

// NewSubscription is a validated create request ready to store.
type NewSubscription struct {
	OperatorID     int64
	Request        CreateRequest
	Actor          carebridge.Caller
	At             time.Time
	TokenExpiresAt time.Time
}

// Event is one audit record of a subscription's life cycle.
type Event struct {
	SubscriptionID int64
	Action         Action
	From           State // empty for create
	To             State
	ActorUserID    int64
	ActorUsername  string
	At             time.Time
	Reason         string // why; "" for none (the CRM.COM face gives none)
}
