package netflix

import "context"

// UnacknowledgedCharges lists an operator's unacknowledged charges, and
// records the PENDING ones shown for the first time as listed: once the
// operator has seen a charge PENDING, acknowledging it covers that
// PENDING even after it settles (see acknowledgeOne). A listing that
// shows nothing new as PENDING writes nothing.
func (r *Records) UnacknowledgedCharges(ctx context.Context, operatorID int64, req ListRequest) ([]Charge, error) {
	listed, err := r.ListUnacknowledgedCharges(ctx, operatorID, req)
	if err != nil {
		return nil, err
	}
	charges := make([]Charge, len(listed))
	var unmarked []int64
	for i, c := range listed {
		charges[i] = c.Charge
		if c.Status == Pending && !c.ListedPending {
			unmarked = append(unmarked, c.ID)
		}
	}
	if len(unmarked) == 0 {
		return charges, nil
	}
	// Marked even if settled since the read: the operator saw it PENDING.
	if err := r.InTx(ctx, func(tx Tx) error { return tx.MarkListedPending(ctx, unmarked) }); err != nil {
		return nil, err
	}
	return charges, nil
}
