package netflix

import (
	"context"
	"time"

	"carebridge"
)

// CreateSubscription checks the promotion and the customer's latest
// subscription, then stores the subscription, the redemption and the
// audit event together. Two creates for one customer at once may both
// pass the check on the latest subscription; InsertSubscription then
// refuses the second, which answers the same ECONFLICT.
func (r *Records) CreateSubscription(ctx context.Context, n NewSubscription) (Subscription, error) {
	at := storedTime(n.At)
	var sub Subscription
	err := r.InTx(ctx, func(tx Tx) error {
		var promotionID int64
		if code := n.Request.PromotionCode; code != "" {
			p, err := tx.PromotionByCode(ctx, n.OperatorID, code)
			if err != nil {
				return err
			}
			if err := p.CheckInEffect(n.At); err != nil {
				return err
			}
			promotionID = p.ID
		}
		latest, err := tx.LatestSubscriptionOf(ctx, n.OperatorID, n.Request.Customer)
		if err != nil {
			return err
		}
		life, onNetflix, err := Next(ActionCreate, createsFrom(latest))
		if err != nil {
			return err
		}
		id, inserted, err := tx.InsertSubscription(ctx, SubscriptionRecord{
			OperatorID: n.OperatorID, Request: n.Request, LifeCycleState: life, NetflixState: onNetflix,
			PromotionID: promotionID, TokenExpiresAt: n.TokenExpiresAt, At: at,
		})
		if err != nil {
			return err
		}
		if !inserted {
			// Another create committed since the latest was read.
			return carebridge.Errorf(carebridge.ECONFLICT,
				"Customer %q already has a subscription that is not cancelled.", n.Request.Customer)
		}
		if promotionID != 0 {
			if err := tx.InsertRedemption(ctx, Redemption{
				OperatorID: n.OperatorID, Customer: n.Request.Customer, PromotionID: promotionID, SubscriptionID: id, At: at,
			}); err != nil {
				return err
			}
		}
		sub = Subscription{
			ID: id, OperatorID: n.OperatorID, Customer: n.Request.Customer,
			LifeCycleState: life, NetflixState: onNetflix, CreatedAt: at, UpdatedAt: at,
		}
		return recordChange(ctx, tx, Event{
			SubscriptionID: id, Action: ActionCreate, To: life,
			ActorUserID: n.Actor.UserID, ActorUsername: n.Actor.Username, At: n.At,
		}, sub)
	})
	if err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// createsFrom is the state a create starts from: the latest
// subscription's, and for a customer with none CANCELLED, which a create
// may follow just as it may follow nothing.
func createsFrom(latest *Subscription) State {
	if latest == nil {
		return Cancelled
	}
	return latest.LifeCycleState
}

// TransitionSubscription moves the customer's latest subscription as
// action says and records the audit event with reason ("" for none). The subscription is held
// before anything is decided, so that two transitions of it at once take
// turns and the second decides on the state the first left.
func (r *Records) TransitionSubscription(ctx context.Context, operatorID int64, customer string, action Action, actor carebridge.Caller, reason string, at time.Time) (Subscription, error) {
	var sub Subscription
	err := r.InTx(ctx, func(tx Tx) error {
		latest, err := tx.LockLatestSubscriptionOf(ctx, operatorID, customer)
		if err != nil {
			return err
		}
		if latest == nil {
			return noSubscription(customer)
		}
		life, onNetflix, err := Next(action, latest.LifeCycleState)
		if err != nil {
			return err
		}
		moved, err := tx.SetSubscriptionState(ctx, latest.ID, latest.LifeCycleState, life, onNetflix, at)
		if err != nil {
			return err
		}
		if !moved {
			return carebridge.Errorf(carebridge.EINTERNAL, "subscription %d changed while held", latest.ID)
		}
		sub = *latest
		sub.LifeCycleState, sub.NetflixState, sub.UpdatedAt = life, onNetflix, storedTime(at)
		return recordChange(ctx, tx, Event{
			SubscriptionID: latest.ID, Action: action, From: latest.LifeCycleState, To: life,
			ActorUserID: actor.UserID, ActorUsername: actor.Username, At: at, Reason: reason,
		}, sub)
	})
	if err != nil {
		return Subscription{}, err
	}
	return sub, nil
}

// storedTime is t as a store keeps it, and reads it back: to the second
// (the CRM.COM formats carry seconds), in UTC.
func storedTime(t time.Time) time.Time { return time.Unix(t.Unix(), 0).UTC() }
