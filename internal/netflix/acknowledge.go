package netflix

import (
	"context"
	"time"

	"carebridge"
)

// AcknowledgeCharges acknowledges each charge's status in one transaction:
// the items that cannot be acknowledged are returned, the others stored
// together. The charges named are locked before anything is decided about
// them, so a settlement or another acknowledgement of the same charge
// waits for this one, or this one for it.
func (r *Records) AcknowledgeCharges(ctx context.Context, operatorID int64, acks []Ack, actor carebridge.Caller, at time.Time) ([]AckFailure, error) {
	var ids []int64
	for _, a := range acks {
		if id, ok := ParseChargeNumber(a.Number); ok {
			ids = append(ids, id)
		}
	}
	var failures []AckFailure
	err := r.InTx(ctx, func(tx Tx) error {
		failures = nil
		if len(ids) > 0 {
			if err := tx.LockCharges(ctx, operatorID, ids); err != nil {
				return err
			}
		}
		for _, a := range acks {
			code, err := acknowledgeOne(ctx, tx, operatorID, a, actor, at)
			if err != nil {
				return err
			}
			if code != "" {
				failures = append(failures, AckFailure{Number: a.Number, ReferenceNumber: a.ReferenceNumber, Code: code})
			}
		}
		return nil
	})
	return failures, err
}

// acknowledgeOne acknowledges one charge and returns a failure code, or ""
// on success (a repeat included). It covers the current status, except
// for a charge settled after charges/list showed it as PENDING and before
// that PENDING was acknowledged: then it covers the PENDING status the
// operator saw, and the settled status stays listed under PROCESSED.
func acknowledgeOne(ctx context.Context, tx Tx, operatorID int64, a Ack, actor carebridge.Caller, at time.Time) (string, error) {
	id, ok := ParseChargeNumber(a.Number)
	if !ok {
		return AckNotFound, nil
	}
	state, err := tx.AckState(ctx, operatorID, id)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return AckNotFound, nil
	}
	if err != nil {
		return "", err
	}
	if state.Customer != a.Customer {
		return AckWrongCustomer, nil
	}
	status := state.Status
	if status != Pending && state.ListedPending {
		pendingAcked, err := tx.StatusAcknowledged(ctx, id, Pending)
		if err != nil {
			return "", err
		}
		if !pendingAcked {
			status = Pending
		}
	}
	if repeat, err := tx.StatusAcknowledged(ctx, id, status); err != nil || repeat {
		return "", err // a repeat is a no-op success
	}
	if a.ReferenceNumber != "" {
		holder, err := tx.ClaimReferenceNumber(ctx, operatorID, a.ReferenceNumber, id)
		if err != nil {
			return "", err
		}
		if holder != id {
			return AckReferenceInUse, nil
		}
	}
	if err := tx.InsertAcknowledgement(ctx, Acknowledgement{
		ChargeID: id, Status: status, OperatorID: operatorID, ReferenceNumber: a.ReferenceNumber, ActorUserID: actor.UserID, At: at,
	}); err != nil {
		return "", err
	}
	if status != state.Status {
		return "", nil // the settled status still waits for its own acknowledgement
	}
	return "", tx.MarkAcknowledged(ctx, id, status)
}
