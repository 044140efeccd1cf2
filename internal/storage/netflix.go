package storage

import (
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// ChargeColumns are the columns ScanCharge reads, in its order.
const ChargeColumns = `id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
	local_amount_minor, local_currency, paid_through_date, received_on, status,
	set_as_approved_on, set_as_declined_on, set_as_bad_request_on, set_as_rejected_on`

// ScanCharge reads ChargeColumns.
func ScanCharge(row Scanner) (netflix.Charge, error) { return scanCharge(row) }

// ScanListedCharge reads ChargeColumns and then listed_pending.
func ScanListedCharge(row Scanner) (netflix.ListedCharge, error) {
	var c netflix.ListedCharge
	var err error
	c.Charge, err = scanCharge(row, &c.ListedPending)
	return c, err
}

func scanCharge(row Scanner, extra ...any) (netflix.Charge, error) {
	var c netflix.Charge
	var localAmount, paidThrough, approved, declined, badRequest, rejected nullInt
	var localCurrency nullString
	var received int64
	err := row.Scan(append([]any{&c.ID, &c.OperatorID, &c.PartnerChargeID, &c.Customer, &c.Amount.Minor, &c.Amount.Currency,
		&localAmount, &localCurrency, &paidThrough, &received, &c.Status,
		&approved, &declined, &badRequest, &rejected}, extra...)...)
	if localAmount.ok && localCurrency.ok {
		c.LocalAmount = money.Amount{Minor: localAmount.n, Currency: localCurrency.s}
	}
	c.PaidThroughDate, c.ReceivedOn = paidThrough.time(), FromUnix(received)
	c.ApprovedOn, c.DeclinedOn = approved.time(), declined.time()
	c.BadRequestOn, c.RejectedOn = badRequest.time(), rejected.time()
	return c, err
}

// NewChargeColumns are the columns the engines' inserts of reported
// charges set.
const NewChargeColumns = `id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
	local_amount_minor, local_currency, paid_through_date, received_on, status, created_at, report`

// StoredChargeColumns are the columns ScanStoredChargeInto reads, in its
// order.
const StoredChargeColumns = `partner_charge_id, id, customer_identifier, amount_minor, currency, received_on, coalesce(report, '')`

// ScanStoredChargeInto returns the row function (see Each) that reads
// StoredChargeColumns into stored, by partner charge id.
func ScanStoredChargeInto(stored map[string]netflix.StoredCharge) func(Scanner) error {
	return func(row Scanner) error {
		var partnerID string
		var s netflix.StoredCharge
		var received int64
		err := row.Scan(&partnerID, &s.ID, &s.Customer, &s.Amount.Minor, &s.Amount.Currency, &received, &s.Report)
		s.ReceivedOn = FromUnix(received)
		stored[partnerID] = s
		return err
	}
}

// ScanChargeIDInto returns the row function (see Each) that reads a row of
// partner_charge_id, id into ids.
func ScanChargeIDInto(ids map[string]int64) func(Scanner) error {
	return func(row Scanner) error {
		var partnerID string
		var id int64
		err := row.Scan(&partnerID, &id)
		ids[partnerID] = id
		return err
	}
}

// ScanChargeEvent reads a row of chargeEventsSQL.
func ScanChargeEvent(row Scanner) (netflix.ChargeEvent, error) {
	var ev netflix.ChargeEvent
	var from *string
	var at int64
	err := row.Scan(&ev.ChargeID, &from, &ev.To, &ev.Actor, &at)
	ev.From, ev.At = netflix.ChargeStatus(Deref(from)), FromUnix(at)
	return ev, err
}

// ScanPendingSummary reads the row of PendingCharges.
func ScanPendingSummary(row Scanner) (netflix.PendingSummary, error) {
	var p netflix.PendingSummary
	var oldest *int64
	err := row.Scan(&p.Count, &oldest)
	p.Oldest = FromNullUnix(oldest)
	return p, err
}

// ScanAckState reads the row of AckState, of the charge chargeID:
// ENOTFOUND when there is none.
func ScanAckState(row Scanner, chargeID int64) (netflix.AckState, error) {
	var s netflix.AckState
	var received int64
	err := row.Scan(&s.Customer, &s.Status, &s.ListedPending, &s.Amount.Minor, &s.Amount.Currency, &s.PartnerChargeID, &received)
	s.ReceivedOn = FromUnix(received)
	if NoRows(err) { // the message's argument is boxed only then
		return s, NotFound(err, "No charge %d.", chargeID)
	}
	return s, err
}

// PromotionColumns are the columns ScanPromotion reads, in its order.
const PromotionColumns = `id, operator_id, code, name, description, effective_from, expires_on`

// ScanPromotion reads PromotionColumns.
func ScanPromotion(row Scanner) (netflix.Promotion, error) {
	var p netflix.Promotion
	var desc *string
	var from int64
	var expires *int64
	err := row.Scan(&p.ID, &p.OperatorID, &p.Code, &p.Name, &desc, &from, &expires)
	p.Description, p.EffectiveFrom, p.ExpiresOn = Deref(desc), FromUnix(from), FromNullUnix(expires)
	return p, err
}

// SubscriptionColumns are the columns ScanSubscription reads, in its order.
const SubscriptionColumns = `id, operator_id, customer_identifier, life_cycle_state, netflix_state, created_at, updated_at`

// ScanSubscription reads SubscriptionColumns.
func ScanSubscription(row Scanner) (netflix.Subscription, error) {
	var sub netflix.Subscription
	var created, updated int64
	err := row.Scan(&sub.ID, &sub.OperatorID, &sub.Customer, &sub.LifeCycleState, &sub.NetflixState, &created, &updated)
	sub.CreatedAt, sub.UpdatedAt = FromUnix(created), FromUnix(updated)
	return sub, err
}

// ScanSubscriptionView reads SubscriptionColumns of the customer's
// latest subscription, then the engine's own columns of subscriptions/show
// into extra: ENOTFOUND when the customer has none.
func ScanSubscriptionView(row Scanner, customer string, extra ...any) (netflix.SubscriptionView, error) {
	var v netflix.SubscriptionView
	var created, updated int64
	err := row.Scan(append([]any{&v.ID, &v.OperatorID, &v.Customer, &v.LifeCycleState, &v.NetflixState, &created, &updated}, extra...)...)
	v.CreatedAt, v.UpdatedAt = FromUnix(created), FromUnix(updated)
	return v, NotFound(err, "Customer %q has no Netflix subscription.", customer)
}

// EventColumns are the columns ScanEvent reads, in its order, of the
// events e.
const EventColumns = `e.subscription_id, e.action, e.from_state, e.to_state, e.actor_user_id, e.actor_username, e.at, e.reason`

// ScanEvent reads EventColumns.
func ScanEvent(row Scanner) (netflix.Event, error) {
	var ev netflix.Event
	var from, reason nullString
	var at int64
	err := row.Scan(&ev.SubscriptionID, &ev.Action, &from, &ev.To, &ev.ActorUserID, &ev.ActorUsername, &at, &reason)
	ev.From, ev.At, ev.Reason = netflix.State(from.s), FromUnix(at), reason.s
	return ev, err
}

// subscriptionArgs are a subscription's values for insertSubscriptionSQL;
// the customer's address, email and phone are JSON text.
func subscriptionArgs(s netflix.SubscriptionRecord) ([]any, error) {
	r := s.Request
	address, err := NullJSON(r.Address)
	if err != nil {
		return nil, err
	}
	email, err := NullJSON(r.Email)
	if err != nil {
		return nil, err
	}
	phone, err := NullJSON(r.Phone)
	if err != nil {
		return nil, err
	}
	return []any{s.OperatorID, r.Customer, s.LifeCycleState, s.NetflixState, NullString(r.Channel),
		NullString(r.FirstName), NullString(r.LastName), address, email, phone,
		NullID(s.PromotionID), NullUnix(s.TokenExpiresAt), Unix(s.At), Unix(s.At)}, nil
}
