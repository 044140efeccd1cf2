package netflix

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"carebridge"
	"carebridge/internal/money"
)

// The customer-care plane: care agents find a customer, read the
// customer's file and history, move the subscription with a reason, and
// send a new registration token. Every method is scoped to the caller's
// operator, and a customer of another operator is answered exactly as one
// nobody knows.

// careCustomer is the name of the care plane's customer parameter.
const careCustomer = "customer"

// Bounds of the care plane's answers and inputs.
const (
	MaxFindResults   = 20  // customers Find returns
	MaxFileCharges   = 50  // charges a CustomerFile holds, newest first
	MaxFindQueryLen  = 100 // characters of a Find query
	MinPrefixLen     = 3   // characters a query needs to be searched as a prefix
	MaxReasonLen     = 500 // characters of a care reason
	maxPrefixRuneEnd = "\U0010FFFF"
)

// CustomerSummary is one customer Find returns.
type CustomerSummary struct {
	Customer  string
	Latest    *Subscription // nil when the customer has charges and no subscription
	FirstName string        // given at the latest subscription's create; "" when none
	LastName  string
}

// CustomerFile is what care reads about one customer.
type CustomerFile struct {
	Customer      string
	Subscriptions []CustomerSubscription // newest first
	Contact       Contact                // given at the latest subscription's create; zero without one
	Charges       []CustomerCharge       // the MaxFileCharges newest, newest first
}

// CustomerSubscription is one subscription of a CustomerFile.
type CustomerSubscription struct {
	Subscription
	Channel    string         // "" when none was given
	Promotions []Promotion    // redeemed with this subscription, in the order redeemed
	Prices     []money.Amount // distinct amounts of APPROVED charges settled against it, in the order first charged
	// Actions are what a care agent may do to it now, whatever their
	// role allows: the latest subscription's, by its state; none for an
	// earlier one.
	Actions []Action
}

// agentActions are what a care agent may do to a customer's latest
// subscription, each if its state allows.
var agentActions = []Action{ActionSuspend, ActionUnsuspend, ActionCancel, ActionReissueToken}

// allowedActions lists the agentActions the life cycle allows from state.
func allowedActions(state State) []Action {
	out := []Action{}
	for _, a := range agentActions {
		if _, _, err := Next(a, state); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Contact is the customer's contact data as a create gave it.
type Contact struct {
	FirstName string
	LastName  string
	Address   *Address
	Email     *Email
	Phone     *Phone
}

// CustomerCharge is one charge of a CustomerFile.
type CustomerCharge struct {
	Charge
	Acknowledged    bool   // its current status has been acknowledged
	ReferenceNumber string // that acknowledgement's reference number; "" when none
}

// HistoryEntry is one step of a customer's subscriptions' life cycle.
type HistoryEntry struct {
	At                 time.Time
	Actor              string // the user's name, or SettlementActor
	Action             Action
	SubscriptionNumber string
	From, To           State  // From is "" for a create
	Reason             string // "" when HasReason is false
	HasReason          bool   // the CRM.COM face and creates give no reason
}

// StoredSubscription is a subscription as CustomerSubscriptions reads
// it: with what its create stored.
type StoredSubscription struct {
	Subscription
	Channel string
	Contact Contact
}

// RedeemedPromotion is a promotion redeemed with a subscription.
type RedeemedPromotion struct {
	SubscriptionID int64
	Promotion      Promotion
}

// SubscriptionPrice is an amount of APPROVED charges settled against a
// subscription.
type SubscriptionPrice struct {
	SubscriptionID int64
	Amount         money.Amount
}

// CareQueries are the reads of the care plane. Each is scoped to one
// operator: another operator's rows are never read.
type CareQueries interface {
	// CustomerLatest returns the customer's most recent subscription with
	// the names its create stored; nil when the customer has none.
	CustomerLatest(ctx context.Context, operatorID int64, customer string) (*CustomerSummary, error)
	// CustomersInRange returns up to limit of the customers that have a
	// subscription and whose identifier is at least from and less than to,
	// compared as bytes, in that byte order, each once with its most recent
	// subscription as CustomerLatest reads it.
	CustomersInRange(ctx context.Context, operatorID int64, from, to string, limit int) ([]CustomerSummary, error)
	// HasCharges tells whether the customer has a charge.
	HasCharges(ctx context.Context, operatorID int64, customer string) (bool, error)
	// SubscriptionCustomer returns the customer of the subscription of that
	// id; "" when there is none.
	SubscriptionCustomer(ctx context.Context, operatorID, subscriptionID int64) (string, error)
	// ChargeCustomer returns the customer of the charge of that id; ""
	// when there is none.
	ChargeCustomer(ctx context.Context, operatorID, chargeID int64) (string, error)
	// CustomerSubscriptions returns every subscription of the customer,
	// newest first; none is an empty list.
	CustomerSubscriptions(ctx context.Context, operatorID int64, customer string) ([]StoredSubscription, error)
	// CustomerRedemptions returns the customer's redemptions with their
	// promotions, oldest first.
	CustomerRedemptions(ctx context.Context, operatorID int64, customer string) ([]RedeemedPromotion, error)
	// CustomerApprovedPrices returns, per subscription, each distinct
	// amount and currency of the customer's APPROVED charges settled
	// against it, ordered by the lowest charge id at that price. Charges
	// settled against no subscription are left out.
	CustomerApprovedPrices(ctx context.Context, operatorID int64, customer string) ([]SubscriptionPrice, error)
	// CustomerCharges returns up to limit of the customer's charges,
	// highest id first, each with whether its current status has been
	// acknowledged and that acknowledgement's reference number.
	CustomerCharges(ctx context.Context, operatorID int64, customer string, limit int) ([]CustomerCharge, error)
	// CustomerEvents returns the audit events of every subscription of
	// the customer, in the order they were recorded.
	CustomerEvents(ctx context.Context, operatorID int64, customer string) ([]Event, error)
	// ChargeCounts counts the operator's charges by their current status,
	// read as of one moment: a status the operator has no charge in is
	// absent from counts, never there with 0. oldestPending is the
	// created_at (when carebridge received it) of the operator's oldest
	// PENDING charge, the lowest created_at whatever the ids; zero when
	// none is PENDING.
	ChargeCounts(ctx context.Context, operatorID int64) (counts map[ChargeStatus]int64, oldestPending time.Time, err error)
}

// notKnown is the answer for a customer the operator has neither a
// subscription nor a charge for, the same whether another operator has
// one or nobody does.
func notKnown(customer string) error {
	return carebridge.Errorf(carebridge.ENOTFOUND, "Customer %q is not known.", customer)
}

// Find returns up to MaxFindResults customers for a care agent's query:
// the customer whose identifier it is exactly (a customer with only
// charges included), the customer of the subscription or charge whose
// number it is, and, for a query of MinPrefixLen characters or more, the
// customers whose identifier begins with it. The prefix search covers the
// customers that have a subscription, the way a care agent reaches a
// subscriber; a customer with only charges is found by the exact
// identifier or a charge number. The exact match comes first, the others
// follow in byte order of their identifiers, each once.
func (s *Service) Find(ctx context.Context, caller carebridge.Caller, query string) ([]CustomerSummary, error) {
	if query == "" {
		return nil, missing("query")
	}
	if err := checkText("query", query, MaxFindQueryLen); err != nil {
		return nil, err
	}
	op := caller.OperatorID
	found := map[string]CustomerSummary{}
	var exact *CustomerSummary
	add := func(customer string) error {
		if customer == "" {
			return nil
		}
		if _, ok := found[customer]; ok {
			return nil
		}
		sum, known, err := s.summary(ctx, op, customer)
		if err != nil || !known {
			return err
		}
		found[customer] = sum
		return nil
	}
	if err := add(query); err != nil {
		return nil, err
	}
	if sum, ok := found[query]; ok {
		exact = &sum
	}
	if id, ok := ParseSubscriptionNumber(query); ok {
		customer, err := s.Store.SubscriptionCustomer(ctx, op, id)
		if err != nil {
			return nil, err
		}
		if err := add(customer); err != nil {
			return nil, err
		}
	}
	if id, ok := ParseChargeNumber(query); ok {
		customer, err := s.Store.ChargeCustomer(ctx, op, id)
		if err != nil {
			return nil, err
		}
		if err := add(customer); err != nil {
			return nil, err
		}
	}
	if utf8.RuneCountInString(query) >= MinPrefixLen {
		// Identifiers are printable text, so no rune at or above U+10FFFF
		// follows the prefix in one: the range holds exactly the
		// identifiers that begin with it.
		byPrefix, err := s.Store.CustomersInRange(ctx, op, query, query+maxPrefixRuneEnd, MaxFindResults)
		if err != nil {
			return nil, err
		}
		for _, c := range byPrefix {
			if _, ok := found[c.Customer]; !ok {
				found[c.Customer] = c
			}
		}
	}
	out := make([]CustomerSummary, 0, min(len(found), MaxFindResults))
	if exact != nil {
		out = append(out, *exact)
		delete(found, query)
	}
	for _, c := range slices.Sorted(maps.Keys(found)) {
		if len(out) == MaxFindResults {
			break
		}
		out = append(out, found[c])
	}
	return out, nil
}

// summary reads one customer as Find reports it; known is false when the
// operator has neither a subscription nor a charge for the customer.
func (s *Service) summary(ctx context.Context, operatorID int64, customer string) (sum CustomerSummary, known bool, err error) {
	latest, err := s.Store.CustomerLatest(ctx, operatorID, customer)
	if err != nil {
		return sum, false, err
	}
	if latest != nil {
		return *latest, true, nil
	}
	has, err := s.Store.HasCharges(ctx, operatorID, customer)
	return CustomerSummary{Customer: customer}, has, err
}

// known answers notKnown unless the operator has a subscription or a
// charge for the customer.
func (s *Service) known(ctx context.Context, operatorID int64, customer string) error {
	_, known, err := s.summary(ctx, operatorID, customer)
	if err == nil && !known {
		err = notKnown(customer)
	}
	return err
}

// Customer returns the customer's file. Its parts are read one after the
// other, not as one snapshot: a change committed meanwhile may show in
// one part and not yet in another, as it would a moment later anyway.
func (s *Service) Customer(ctx context.Context, caller carebridge.Caller, customer string) (CustomerFile, error) {
	if err := validateCustomerAs(careCustomer, customer); err != nil {
		return CustomerFile{}, err
	}
	op := caller.OperatorID
	subs, err := s.Store.CustomerSubscriptions(ctx, op, customer)
	if err != nil {
		return CustomerFile{}, err
	}
	if len(subs) == 0 {
		if err := s.known(ctx, op, customer); err != nil {
			return CustomerFile{}, err
		}
	}
	redeemed, err := s.Store.CustomerRedemptions(ctx, op, customer)
	if err != nil {
		return CustomerFile{}, err
	}
	prices, err := s.Store.CustomerApprovedPrices(ctx, op, customer)
	if err != nil {
		return CustomerFile{}, err
	}
	charges, err := s.Store.CustomerCharges(ctx, op, customer, MaxFileCharges)
	if err != nil {
		return CustomerFile{}, err
	}
	f := CustomerFile{Customer: customer, Subscriptions: make([]CustomerSubscription, len(subs)), Charges: charges}
	if f.Charges == nil {
		f.Charges = []CustomerCharge{}
	}
	at := make(map[int64]int, len(subs))
	for i, sub := range subs {
		f.Subscriptions[i] = CustomerSubscription{Subscription: sub.Subscription, Channel: sub.Channel,
			Promotions: []Promotion{}, Prices: []money.Amount{}, Actions: []Action{}}
		if i == 0 {
			f.Subscriptions[i].Actions = allowedActions(sub.LifeCycleState)
		}
		at[sub.ID] = i
	}
	if len(subs) > 0 {
		f.Contact = subs[0].Contact
	}
	for _, r := range redeemed {
		if i, ok := at[r.SubscriptionID]; ok {
			f.Subscriptions[i].Promotions = append(f.Subscriptions[i].Promotions, r.Promotion)
		}
	}
	for _, p := range prices {
		if i, ok := at[p.SubscriptionID]; ok {
			f.Subscriptions[i].Prices = append(f.Subscriptions[i].Prices, p.Amount)
		}
	}
	return f, nil
}

// History returns every event of the customer's subscriptions, oldest
// first. A customer with charges and no subscription has an empty
// history.
func (s *Service) History(ctx context.Context, caller carebridge.Caller, customer string) ([]HistoryEntry, error) {
	if err := validateCustomerAs(careCustomer, customer); err != nil {
		return nil, err
	}
	events, err := s.Store.CustomerEvents(ctx, caller.OperatorID, customer)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		if err := s.known(ctx, caller.OperatorID, customer); err != nil {
			return nil, err
		}
	}
	out := make([]HistoryEntry, len(events))
	for i, e := range events {
		out[i] = HistoryEntry{At: e.At, Actor: e.ActorUsername, Action: e.Action, SubscriptionNumber: SubscriptionNumber(e.SubscriptionID),
			From: e.From, To: e.To, Reason: e.Reason, HasReason: e.Reason != ""}
	}
	return out, nil
}

// careActions are the actions a care agent may take with CareTransition.
var careActions = []Action{ActionSuspend, ActionUnsuspend, ActionCancel}

// CareTransition suspends, unsuspends or cancels the customer's latest
// subscription for a care agent, who must say why: the reason is kept in
// the subscription's history.
func (s *Service) CareTransition(ctx context.Context, caller carebridge.Caller, customer string, action Action, reason string) (Subscription, error) {
	if err := validateCustomerAs(careCustomer, customer); err != nil {
		return Subscription{}, err
	}
	if !slices.Contains(careActions, action) {
		return Subscription{}, invalid("action must be one of suspend, unsuspend, cancel; got %q.", action)
	}
	reason, err := ValidateReason(reason)
	if err != nil {
		return Subscription{}, err
	}
	if err := s.known(ctx, caller.OperatorID, customer); err != nil {
		return Subscription{}, err
	}
	sub, err := s.Store.TransitionSubscription(ctx, caller.OperatorID, customer, action, caller, reason, s.now())
	if err != nil {
		return Subscription{}, err
	}
	notify(s.Notifier).SubscriptionChanged(ctx, subscriptionChange(sub, caller.Username, reason))
	return sub, nil
}

// ValidateReason checks a care agent's reason and returns it without
// surrounding spaces: mandatory, at most MaxReasonLen characters of
// printable text.
func ValidateReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", missing("reason")
	}
	return reason, checkText("reason", reason, MaxReasonLen)
}

// TokenReissue is a new registration token of a subscription, ready to
// record.
type TokenReissue struct {
	OperatorID     int64
	Customer       string
	SubscriptionID int64 // the latest subscription when the partner was asked
	ExpiresAt      time.Time
	Actor          carebridge.Caller
	At             time.Time
}

// ReissueToken asks the partner for a new registration token of the
// customer's latest subscription, which must be EFFECTIVE. validity is
// the token's lifetime, within create's bounds; 0 is create's default.
// As with Create, the subscription is checked before the partner is
// asked, and checked again when the token is recorded.
func (s *Service) ReissueToken(ctx context.Context, caller carebridge.Caller, customer string, validity time.Duration) (RegistrationToken, error) {
	if err := validateCustomerAs(careCustomer, customer); err != nil {
		return RegistrationToken{}, err
	}
	if validity == 0 {
		validity = DefaultValidity
	}
	if validity%time.Second != 0 {
		return RegistrationToken{}, invalid("validity_duration must be a whole number of seconds.")
	}
	if err := checkValidity(int64(validity / time.Second)); err != nil {
		return RegistrationToken{}, err
	}
	op := caller.OperatorID
	latest, known, err := s.summary(ctx, op, customer)
	switch {
	case err != nil:
		return RegistrationToken{}, err
	case !known:
		return RegistrationToken{}, notKnown(customer)
	case latest.Latest == nil:
		return RegistrationToken{}, noSubscription(customer)
	}
	if _, _, err := Next(ActionReissueToken, latest.Latest.LifeCycleState); err != nil {
		return RegistrationToken{}, err
	}
	now := s.now()
	tok, err := s.Partner.RegistrationToken(ctx, RegistrationRequest{OperatorID: op, Customer: customer, Validity: validity, At: now})
	if err != nil {
		return RegistrationToken{}, err
	}
	if _, err := s.Store.ReissueToken(ctx, TokenReissue{OperatorID: op, Customer: customer, SubscriptionID: latest.Latest.ID,
		ExpiresAt: tok.ExpiresAt, Actor: caller, At: now}); err != nil {
		return RegistrationToken{}, err
	}
	return tok, nil
}

func noSubscription(customer string) error {
	return carebridge.Errorf(carebridge.ENOTFOUND, "Customer %q has no Netflix subscription.", customer)
}

// ReissueToken holds the customer's latest subscription, checks it is
// still the one the token was asked for and EFFECTIVE, and records the
// token's expiry with an audit event. A subscription replaced meanwhile
// is a conflict: the token was issued for the old one.
func (r *Records) ReissueToken(ctx context.Context, t TokenReissue) (Subscription, error) {
	var sub Subscription
	err := r.InTx(ctx, func(tx Tx) error {
		latest, err := tx.LockLatestSubscriptionOf(ctx, t.OperatorID, t.Customer)
		if err != nil {
			return err
		}
		if latest == nil {
			return noSubscription(t.Customer)
		}
		if latest.ID != t.SubscriptionID {
			return carebridge.Errorf(carebridge.ECONFLICT,
				"Customer %q has another subscription since the token was asked for; ask again.", t.Customer)
		}
		if _, _, err := Next(ActionReissueToken, latest.LifeCycleState); err != nil {
			return err
		}
		if err := tx.SetTokenExpiry(ctx, latest.ID, t.ExpiresAt); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, Event{
			SubscriptionID: latest.ID, Action: ActionReissueToken, From: latest.LifeCycleState, To: latest.LifeCycleState,
			ActorUserID: t.Actor.UserID, ActorUsername: t.Actor.Username, At: t.At,
		}); err != nil {
			return err
		}
		sub = *latest
		return nil
	})
	if err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// SubscriptionChange describes a committed change of a subscription's
// state.
type SubscriptionChange struct {
	OperatorID     int64
	Customer       string
	Number         string
	LifeCycleState State
	NetflixState   State
	Actor          string // the user's name, or SettlementActor
	Reason         string // "" for none
}

// ChargeChange describes a committed change of a charge's status.
type ChargeChange struct {
	OperatorID int64
	Number     string
	Customer   string
	Status     ChargeStatus
}

// Notifier is told of changes once they are committed, never of one
// that failed, so that live views can follow them. It must not block for
// long: it is called on the path of the request, or of settlement.
type Notifier interface {
	SubscriptionChanged(ctx context.Context, c SubscriptionChange)
	ChargeChanged(ctx context.Context, c ChargeChange)
}

// Settled is one charge a settlement settled, and the subscription that
// settling it ended.
type Settled struct {
	Charge    ChargeChange
	Cancelled *SubscriptionChange // nil when no subscription ended
}

// notify returns n, or a Notifier that does nothing when n is nil.
func notify(n Notifier) Notifier {
	if n == nil {
		return nopNotifier{}
	}
	return n
}

type nopNotifier struct{}

func (nopNotifier) SubscriptionChanged(context.Context, SubscriptionChange) {}
func (nopNotifier) ChargeChanged(context.Context, ChargeChange)             {}

func subscriptionChange(sub Subscription, actor, reason string) SubscriptionChange {
	return SubscriptionChange{OperatorID: sub.OperatorID, Customer: sub.Customer, Number: sub.Number(),
		LifeCycleState: sub.LifeCycleState, NetflixState: sub.NetflixState, Actor: actor, Reason: reason}
}
