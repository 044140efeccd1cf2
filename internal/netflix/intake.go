package netflix

import (
	"context"
	"time"
)

// IngestCharges stores a report's charges in one transaction: the
// insert passes over the partner ids stored before, and IngestResults
// answers each charge from what was inserted and what is stored.
func (r *Records) IngestCharges(ctx context.Context, operatorID int64, charges []NewCharge, report string, at time.Time) ([]IngestResult, error) {
	if len(charges) == 0 {
		return []IngestResult{}, nil
	}
	// A partner id repeated in the report is offered to the insert once,
	// as first given; IngestResults answers the repeats.
	offered := make([]NewCharge, 0, len(charges))
	partnerIDs := make([]string, 0, len(charges))
	seen := make(map[string]bool, len(charges))
	for _, c := range charges {
		if !seen[c.PartnerChargeID] {
			seen[c.PartnerChargeID] = true
			offered = append(offered, c)
			partnerIDs = append(partnerIDs, c.PartnerChargeID)
		}
	}
	var results []IngestResult
	err := r.InTx(ctx, func(tx Tx) error {
		inserted, err := tx.InsertCharges(ctx, operatorID, offered, report, at)
		if err != nil {
			return err
		}
		if err := publishCreated(ctx, tx, operatorID, offered, inserted, at); err != nil {
			return err
		}
		stored, err := tx.StoredCharges(ctx, operatorID, partnerIDs)
		if err != nil {
			return err
		}
		results = IngestResults(charges, report, inserted, stored)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}
