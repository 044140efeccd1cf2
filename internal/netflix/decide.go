package netflix

import (
	"context"
	"fmt"
	"time"

	"carebridge"
)

// Decision is one item of charges/accept or charges/decline.
type Decision = Ack

// AckNoLongerPending is the failure code of charges/accept and
// charges/decline for a charge that is no longer PENDING; the other codes
// are those of charges/acknowledge.
const AckNoLongerPending = "4"

// DecisionDescriptions are the failure descriptions of charges/accept and
// charges/decline.
var DecisionDescriptions = map[string]string{
	AckWrongCustomer:   AckDescriptions[AckWrongCustomer],
	AckNotFound:        AckDescriptions[AckNotFound],
	AckReferenceInUse:  AckDescriptions[AckReferenceInUse],
	AckNoLongerPending: "The specified charge is no longer pending",
}

// DecisionReason is the reason the history gives a subscription that
// declining a charge ended.
func DecisionReason(c Charge, status ChargeStatus) string {
	word := "accepted"
	if status == Declined {
		word = "declined"
	}
	return "Charge " + c.Number() + " " + word + "."
}

// ValidateDecisions checks a charges/accept or charges/decline request
// before the store; set names the request's list.
func ValidateDecisions(set string, ds []Decision) error {
	if len(ds) == 0 {
		return missing(set)
	}
	if len(ds) > MaxAcksPerCall {
		return invalid("%s has %d items; at most %d are allowed.", set, len(ds), MaxAcksPerCall)
	}
	for i, d := range ds {
		path := fmt.Sprintf("%s[%d]", set, i)
		if d.Number == "" {
			return missing(path + ".number")
		}
		if d.Customer == "" {
			return missing(path + ".billing_system_customer_identifier")
		}
		if err := checkText(path+".number", d.Number, 32); err != nil {
			return err
		}
		if err := checkText(path+".billing_system_customer_identifier", d.Customer, maxCustomerLen); err != nil {
			return err
		}
		if err := checkText(path+".reference_number", d.ReferenceNumber, maxReferenceLength); err != nil {
			return err
		}
	}
	return nil
}

// DecideCharges settles PENDING charges of an operator as the operator
// decided, APPROVED (charges/accept) or DECLINED (charges/decline), in
// one transaction: the items that cannot be decided are returned with
// their failure codes, the others are settled together, exactly as the
// processor settles (the status and its date, the charge event, the
// customer's price for APPROVED, the end of the subscription for
// DECLINED), with the caller as the actor. The charges named are locked
// before anything is decided about them, so of two transactions deciding
// the same charge, or a decision and a settlement, one settles it and the
// other finds it no longer PENDING. It returns what it settled, once
// committed.
func (r *Records) DecideCharges(ctx context.Context, operatorID int64, ds []Decision, status ChargeStatus, actor carebridge.Caller, at time.Time) ([]AckFailure, []Settled, error) {
	if status != Approved && status != Declined {
		return nil, nil, carebridge.Errorf(carebridge.EINTERNAL, "a decision settles APPROVED or DECLINED, not %q", status)
	}
	var ids []int64
	for _, d := range ds {
		if id, ok := ParseChargeNumber(d.Number); ok {
			ids = append(ids, id)
		}
	}
	var failures []AckFailure
	var settled []Settled
	err := r.InTx(ctx, func(tx Tx) error {
		failures, settled = nil, nil
		if len(ids) > 0 {
			if err := tx.LockCharges(ctx, operatorID, ids); err != nil {
				return err
			}
		}
		for _, d := range ds {
			code, done, err := decideOne(ctx, tx, operatorID, d, status, actor, at)
			if err != nil {
				return err
			}
			if code != "" {
				failures = append(failures, AckFailure{Number: d.Number, ReferenceNumber: d.ReferenceNumber, Code: code})
				continue
			}
			settled = append(settled, done)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return failures, settled, nil
}

// decideOne settles one locked charge as decided and returns a failure
// code, or "" and what it settled.
func decideOne(ctx context.Context, tx Tx, operatorID int64, d Decision, status ChargeStatus, actor carebridge.Caller, at time.Time) (string, Settled, error) {
	id, ok := ParseChargeNumber(d.Number)
	if !ok {
		return AckNotFound, Settled{}, nil
	}
	state, err := tx.AckState(ctx, operatorID, id)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return AckNotFound, Settled{}, nil
	}
	if err != nil {
		return "", Settled{}, err
	}
	if state.Customer != d.Customer {
		return AckWrongCustomer, Settled{}, nil
	}
	if state.Status != Pending {
		return AckNoLongerPending, Settled{}, nil
	}
	if d.ReferenceNumber != "" {
		holder, err := tx.ClaimReferenceNumber(ctx, operatorID, d.ReferenceNumber, id)
		if err != nil {
			return "", Settled{}, err
		}
		if holder != id {
			return AckReferenceInUse, Settled{}, nil
		}
	}
	c := Charge{ID: id, OperatorID: operatorID, Customer: state.Customer, Amount: state.Amount, Status: Pending,
		PartnerChargeID: state.PartnerChargeID, ReceivedOn: state.ReceivedOn}
	done, settledNow, err := settleAs(ctx, tx, c, status, at, actor, DecisionReason(c, status))
	if err != nil {
		return "", Settled{}, err
	}
	if !settledNow {
		return AckNoLongerPending, Settled{}, nil
	}
	return "", done, nil
}

// ChargeDecision says who decides an operator's PENDING charges.
type ChargeDecision string

const (
	// DecisionAuto: the processor settles them by the subscription's
	// state as soon as they arrive; charges/accept and charges/decline
	// still settle those it has not settled yet.
	DecisionAuto ChargeDecision = "auto"
	// DecisionOperator: the operator accepts or declines them; the
	// processor settles by the subscription's state only those still
	// PENDING once the operator's decision deadline has passed.
	DecisionOperator ChargeDecision = "operator"

	// DefaultDecisionDeadline is an operator's decision deadline until
	// it is set.
	DefaultDecisionDeadline = 72 * time.Hour
	MinDecisionDeadline     = time.Minute
	MaxDecisionDeadline     = 720 * time.Hour
)

// ValidateChargeDecision checks an operator's charge decision setting:
// who decides, and the deadline, in whole seconds from a minute to 30
// days.
func ValidateChargeDecision(d ChargeDecision, deadline time.Duration) error {
	if d != DecisionAuto && d != DecisionOperator {
		return invalid("the charge decision is %q; it must be auto or operator.", d)
	}
	if deadline < MinDecisionDeadline || deadline > MaxDecisionDeadline {
		return invalid("the decision deadline is %s; it must be from %s to %s.", deadline, MinDecisionDeadline, MaxDecisionDeadline)
	}
	if deadline%time.Second != 0 {
		return invalid("the decision deadline %s is not a whole number of seconds.", deadline)
	}
	return nil
}
