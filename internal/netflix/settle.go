package netflix

import (
	"context"
	"time"

	"carebridge"
)

// SettleCharges settles up to limit PENDING charges, oldest first, in one
// transaction (an operator deciding its charges itself leaves them to
// the processor only once its decision deadline has passed, at at): claim them, decide each with settle,
// write the status and its date, end the subscription when the status
// terminates it, and commit. It returns what it settled, in claim order;
// a failure before the commit leaves every claimed charge PENDING.
func (r *Records) SettleCharges(ctx context.Context, limit int, at time.Time, settle SettleFunc) ([]Settled, error) {
	var settled []Settled
	err := r.InTx(ctx, func(tx Tx) error {
		settled = nil
		pending, err := tx.ClaimPendingCharges(ctx, limit, at)
		if err != nil {
			return err
		}
		for _, c := range pending {
			s, err := settleOne(ctx, tx, c, at, settle)
			if err != nil {
				return err
			}
			settled = append(settled, s)
		}
		return nil
	})
	if err != nil {
		return nil, err // rolled back: nothing was settled
	}
	return settled, nil
}

// SettlementReason is the reason the history gives a subscription that
// settling a charge ended.
func SettlementReason(c Charge, status ChargeStatus) string {
	return "Charge " + c.Number() + " settled " + string(status) + "."
}

// settleOne settles one claimed charge against the customer's latest
// subscription.
func settleOne(ctx context.Context, tx Tx, c Charge, at time.Time, settle SettleFunc) (Settled, error) {
	sub, err := tx.LatestSubscriptionOf(ctx, c.OperatorID, c.Customer)
	if err != nil {
		return Settled{}, err
	}
	status := settle(c, sub)
	if !status.Settled() {
		return Settled{}, carebridge.Errorf(carebridge.EINTERNAL, "settlement chose status %q", status)
	}
	// The claim holds the charge; the engine's check that it is still
	// PENDING is a safeguard.
	done, ok, err := settleWith(ctx, tx, c, sub, status, at, carebridge.Caller{Username: SettlementActor}, SettlementReason(c, status))
	if err == nil && !ok {
		err = carebridge.Errorf(carebridge.EUNAVAILABLE, "charge %d changed during settlement; the batch is retried", c.ID)
	}
	return done, err
}

// settleAs settles a held charge with a status decided for it, against
// the customer's latest subscription, by actor, giving reason to the end
// of the subscription when the status terminates it. It reports false,
// writing nothing, when the charge is no longer PENDING.
func settleAs(ctx context.Context, tx Tx, c Charge, status ChargeStatus, at time.Time, actor carebridge.Caller, reason string) (Settled, bool, error) {
	sub, err := tx.LatestSubscriptionOf(ctx, c.OperatorID, c.Customer)
	if err != nil {
		return Settled{}, false, err
	}
	return settleWith(ctx, tx, c, sub, status, at, actor, reason)
}

// settleWith writes a charge's settled status, its event, the customer's
// price for APPROVED, and the end of sub (nil: none) when the status
// terminates it. It reports false, writing nothing, when the charge is no
// longer PENDING.
func settleWith(ctx context.Context, tx Tx, c Charge, sub *Subscription, status ChargeStatus, at time.Time, actor carebridge.Caller, reason string) (Settled, bool, error) {
	done := Settled{Charge: ChargeChange{OperatorID: c.OperatorID, Number: c.Number(), Customer: c.Customer, Status: status}}
	var subID int64
	if sub != nil {
		subID = sub.ID
	}
	ok, err := tx.SettleCharge(ctx, c.ID, status, at, subID)
	if err != nil || !ok {
		return Settled{}, false, err
	}
	if err := tx.InsertChargeEvent(ctx, ChargeEvent{ChargeID: c.ID, From: Pending, To: status, Actor: actor.Username, At: at}); err != nil {
		return Settled{}, false, err
	}
	if err := publishSettled(ctx, tx, c, status, actor.Username, at); err != nil {
		return Settled{}, false, err
	}
	if status == Approved {
		// The customer's prices for subscriptions/show.
		if err := tx.AddCustomerPrice(ctx, c.OperatorID, c.Customer, c.Amount, c.ID); err != nil {
			return Settled{}, false, err
		}
	}
	if !status.Terminates() || sub == nil || sub.LifeCycleState == Cancelled {
		return done, true, nil
	}
	// DECLINED ends the subscription, as the CRM.COM document says
	// (BAD_REQUEST arises only when there is none, REJECTED when it has
	// ended already).
	life, onNetflix, err := Next(ActionCancel, sub.LifeCycleState)
	if err != nil {
		return Settled{}, false, err
	}
	// The subscription was read, not locked: it moves only if it is still
	// in the state read, and the transaction is retried if another one
	// moved it since.
	moved, err := tx.SetSubscriptionState(ctx, sub.ID, sub.LifeCycleState, life, onNetflix, at)
	if err != nil {
		return Settled{}, false, err
	}
	if !moved {
		return Settled{}, false, carebridge.Errorf(carebridge.EUNAVAILABLE, "subscription %d changed while charge %d was settled; try again", sub.ID, c.ID)
	}
	ended := *sub
	ended.LifeCycleState, ended.NetflixState, ended.UpdatedAt = life, onNetflix, storedTime(at)
	if err := recordChange(ctx, tx, Event{
		SubscriptionID: sub.ID, Action: ActionCancel, From: sub.LifeCycleState, To: life,
		ActorUserID: actor.UserID, ActorUsername: actor.Username, At: at, Reason: reason,
	}, ended); err != nil {
		return Settled{}, false, err
	}
	change := subscriptionChange(ended, actor.Username, reason)
	done.Cancelled = &change
	return done, true, nil
}
