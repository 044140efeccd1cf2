package netflix

import (
	"context"
	"time"

	"carebridge"
)

// Overview is what a supervisor reads of the operator's charges at a
// glance: how many are in each status, and how long the oldest PENDING
// one has waited to be settled.
type Overview struct {
	// Charges holds every status of ChargeStatuses, 0 when the operator
	// has no charge in it.
	Charges map[ChargeStatus]int64
	// OldestPending is when carebridge received the oldest PENDING charge
	// (its created_at); zero when none is PENDING.
	OldestPending time.Time
	// OldestPendingAge is how long that charge has waited by the
	// service's clock, in whole seconds and never negative (a charge
	// received by a replica whose clock runs ahead has waited 0); 0 when
	// none is PENDING.
	OldestPendingAge time.Duration
}

// Overview counts the caller's operator's charges by status and ages the
// oldest PENDING one; another operator's charges are never counted.
func (s *Service) Overview(ctx context.Context, caller carebridge.Caller) (Overview, error) {
	counts, oldest, err := s.Store.ChargeCounts(ctx, caller.OperatorID)
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Charges: make(map[ChargeStatus]int64, len(ChargeStatuses))}
	for _, st := range ChargeStatuses {
		o.Charges[st] = counts[st]
	}
	if oldest.IsZero() {
		return o, nil
	}
	o.OldestPending = oldest.UTC()
	o.OldestPendingAge = max(s.now().Sub(o.OldestPending).Truncate(time.Second), 0)
	return o, nil
}
