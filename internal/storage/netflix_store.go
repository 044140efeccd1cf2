package storage

import (
	"context"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// NetflixQueries are the Netflix plugin's queries (netflix.Queries) that
// read alike on both engines; each engine's NetflixEngine embeds them and
// adds its own.
type NetflixQueries struct{ DB DB }

func (s NetflixQueries) CreatePromotion(ctx context.Context, p netflix.Promotion, at time.Time) (netflix.Promotion, error) {
	id, err := s.DB.InsertID(ctx, insertPromotionSQL,
		p.OperatorID, p.Code, p.Name, NullString(p.Description), Unix(p.EffectiveFrom), NullUnix(p.ExpiresOn), Unix(at))
	if err != nil {
		return p, conflict(s.DB, err, "Promotion %q already exists for this operator.", p.Code)
	}
	p.ID, p.EffectiveFrom, p.ExpiresOn = id, FromUnix(Unix(p.EffectiveFrom)), FromNullUnix(NullUnix(p.ExpiresOn))
	return p, nil
}

func (s NetflixQueries) Promotion(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	return promotionByCode(ctx, s.DB, operatorID, code)
}

func promotionByCode(ctx context.Context, q Querier, operatorID int64, code string) (netflix.Promotion, error) {
	p, err := ScanPromotion(q.QueryRow(ctx, promotionByCodeSQL, operatorID, code))
	return p, NotFound(err, "Promotion %q does not exist for this operator.", code)
}

func (s NetflixQueries) Promotions(ctx context.Context, operatorID int64) ([]netflix.Promotion, error) {
	return collect(ctx, s.DB, promotionsSQL, []netflix.Promotion{}, ScanPromotion, operatorID)
}

func (s NetflixQueries) SubscriptionEvents(ctx context.Context, operatorID, subscriptionID int64) ([]netflix.Event, error) {
	return collect(ctx, s.DB, subscriptionEventsSQL, nil, ScanEvent, operatorID, subscriptionID)
}

func (s NetflixQueries) ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]netflix.ChargeEvent, error) {
	return collect(ctx, s.DB, chargeEventsSQL, nil, ScanChargeEvent, operatorID, chargeID)
}

// PendingCharges reads the settlement backlog with the partial index
// netflix_charges_pending.
func (s NetflixQueries) PendingCharges(ctx context.Context, now time.Time) (netflix.PendingSummary, error) {
	return ScanPendingSummary(s.DB.QueryRow(ctx, pendingBacklogSQL, Unix(now)))
}

// NetflixTx are the primitives of netflix.Tx that read alike on both
// engines, in one transaction; each engine's netflixTx embeds them and
// adds those that take locks or lists. The statements that find a row
// another transaction is changing wait for it (PostgreSQL) or never meet
// one (SQLite's single writer), and then see the row as it left it.
type NetflixTx struct{ Tx Querier }

func (t NetflixTx) StatusAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) (yes bool, err error) {
	err = t.Tx.QueryRow(ctx, statusAcknowledgedSQL, chargeID, status).Scan(&yes)
	return yes, err
}

// ClaimReferenceNumber: another transaction inserting the same reference
// at once makes this insert wait for it and then do nothing, and the read
// after it sees that transaction's row.
func (t NetflixTx) ClaimReferenceNumber(ctx context.Context, operatorID int64, reference string, chargeID int64) (holder int64, err error) {
	if _, err := t.Tx.Exec(ctx, insertReferenceSQL, operatorID, reference, chargeID); err != nil {
		return 0, err
	}
	err = t.Tx.QueryRow(ctx, referenceHolderSQL, operatorID, reference).Scan(&holder)
	return holder, err
}

func (t NetflixTx) InsertAcknowledgement(ctx context.Context, a netflix.Acknowledgement) error {
	_, err := t.Tx.Exec(ctx, insertAcknowledgementSQL,
		a.ChargeID, a.Status, a.OperatorID, NullString(a.ReferenceNumber), a.ActorUserID, Unix(a.At))
	return err
}

func (t NetflixTx) MarkAcknowledged(ctx context.Context, chargeID int64, status netflix.ChargeStatus) error {
	_, err := t.Tx.Exec(ctx, markAcknowledgedSQL, chargeID, status)
	return err
}

func (t NetflixTx) LatestSubscriptionOf(ctx context.Context, operatorID int64, customer string) (*netflix.Subscription, error) {
	return LatestSubscriptionWith(ctx, t.Tx, LatestSubscription, operatorID, customer)
}

// LatestSubscriptionWith reads the customer's latest subscription with
// query, LatestSubscription or a locking form of it; none is nil.
func LatestSubscriptionWith(ctx context.Context, q Querier, query SQL, operatorID int64, customer string) (*netflix.Subscription, error) {
	sub, err := ScanSubscription(q.QueryRow(ctx, query, operatorID, customer))
	switch {
	case NoRows(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sub, nil
}

func (t NetflixTx) SettleCharge(ctx context.Context, chargeID int64, status netflix.ChargeStatus, at time.Time, subscriptionID int64) (bool, error) {
	q, err := SettleCharge(status)
	if err != nil {
		return false, err
	}
	n, err := t.Tx.Exec(ctx, q, status, Unix(at), NullID(subscriptionID), chargeID)
	return n == 1, err
}

func (t NetflixTx) InsertChargeEvent(ctx context.Context, e netflix.ChargeEvent) error {
	_, err := t.Tx.Exec(ctx, insertChargeEventSQL, e.ChargeID, NullString(string(e.From)), e.To, e.Actor, Unix(e.At))
	return err
}

func (t NetflixTx) AddCustomerPrice(ctx context.Context, operatorID int64, customer string, amount money.Amount, chargeID int64) error {
	_, err := t.Tx.Exec(ctx, addCustomerPriceSQL, operatorID, customer, amount.Minor, amount.Currency, chargeID)
	return err
}

// SetSubscriptionState: the UPDATE waits for a transaction holding the
// row, then checks the state on the row as that one left it.
func (t NetflixTx) SetSubscriptionState(ctx context.Context, subscriptionID int64, from, life, onNetflix netflix.State, at time.Time) (bool, error) {
	n, err := t.Tx.Exec(ctx, setSubscriptionStateSQL, life, onNetflix, Unix(at), subscriptionID, from)
	return n == 1, err
}

func (t NetflixTx) InsertEvent(ctx context.Context, ev netflix.Event) error {
	_, err := t.Tx.Exec(ctx, insertEventSQL,
		ev.SubscriptionID, ev.Action, NullString(string(ev.From)), ev.To, ev.ActorUserID, ev.ActorUsername, Unix(ev.At), NullString(ev.Reason))
	return err
}

func (t NetflixTx) SetTokenExpiry(ctx context.Context, subscriptionID int64, expiresAt time.Time) error {
	_, err := t.Tx.Exec(ctx, setTokenExpirySQL, NullUnix(expiresAt), subscriptionID)
	return err
}

func (t NetflixTx) PromotionByCode(ctx context.Context, operatorID int64, code string) (netflix.Promotion, error) {
	return promotionByCode(ctx, t.Tx, operatorID, code)
}

// InsertSubscription names the partial unique index
// netflix_subscriptions_one_live as its conflict target: an insert that
// meets another transaction's uncommitted live subscription for the
// customer waits for it, and does nothing if it commits.
func (t NetflixTx) InsertSubscription(ctx context.Context, s netflix.SubscriptionRecord) (id int64, inserted bool, err error) {
	args, err := subscriptionArgs(s)
	if err != nil {
		return 0, false, err
	}
	err = t.Tx.QueryRow(ctx, insertSubscriptionSQL, args...).Scan(&id)
	if NoRows(err) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func (t NetflixTx) InsertRedemption(ctx context.Context, r netflix.Redemption) error {
	_, err := t.Tx.Exec(ctx, insertRedemptionSQL, r.OperatorID, r.Customer, r.PromotionID, r.SubscriptionID, Unix(r.At))
	return err
}
