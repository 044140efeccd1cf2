package postgres

import (
	"context"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// InsertCharges inserts the batch and records the intake events in one
// statement (ingestSQL), with one array per column.
func (t netflixTx) InsertCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) (map[string]int64, error) {
	n := len(charges)
	var (
		ids          = make([]*int64, n)
		partners     = make([]string, n)
		customers    = make([]string, n)
		amounts      = make([]int64, n)
		currencies   = make([]string, n)
		localAmounts = make([]*int64, n)
		localCurs    = make([]*string, n)
		paidThrough  = make([]*int64, n)
		received     = make([]int64, n)
		fixedIDs     bool
	)
	for i, c := range charges {
		if c.ID > 0 {
			ids[i] = &c.ID
			fixedIDs = true
		}
		partners[i], customers[i] = c.PartnerChargeID, c.Customer
		amounts[i], currencies[i] = c.Amount.Minor, c.Amount.Currency
		if c.LocalAmount.Currency != "" {
			localAmounts[i], localCurs[i] = &c.LocalAmount.Minor, &c.LocalAmount.Currency
		}
		paidThrough[i] = storage.NullUnix(c.PaidThroughDate)
		received[i] = storage.Unix(c.ReceivedOn)
	}
	if fixedIDs {
		// Taken before this transaction inserts any charge, the lock
		// cannot deadlock with another loader's.
		if _, err := t.tx.Exec(ctx, lockChargeNumbersSQL); err != nil {
			return nil, err
		}
	}
	inserted := map[string]int64{}
	rows, err := t.tx.Query(ctx, ingestSQL, operatorID, storage.Unix(at),
		ids, partners, customers, amounts, currencies, localAmounts, localCurs, paidThrough, received, report, netflix.IntakeActor)
	if err := each(rows, err, storage.ScanChargeIDInto(inserted)); err != nil {
		return nil, err
	}
	if fixedIDs {
		if _, err := t.tx.Exec(ctx, advanceChargeSequenceSQL); err != nil {
			return nil, err
		}
	}
	return inserted, nil
}

// StoredCharges is a statement of its own, so that it also sees a charge
// another replica committed while this transaction's insert waited for
// it.
func (t netflixTx) StoredCharges(ctx context.Context, operatorID int64, partnerIDs []string) (map[string]netflix.StoredCharge, error) {
	out := map[string]netflix.StoredCharge{}
	rows, err := t.tx.Query(ctx, storedChargesSQL, operatorID, partnerIDs)
	return out, each(rows, err, storage.ScanStoredChargeInto(out))
}

// ListUnacknowledgedCharges lists with the partial index
// netflix_charges_unacknowledged.
func (s *NetflixEngine) ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.ListedCharge, error) {
	rows, err := s.db.pool.Query(ctx, listUnacknowledgedSQL, operatorID, r.Processed, r.Limit, r.Offset)
	return collect(rows, err, nil, storage.ScanListedCharge)
}

func (t netflixTx) MarkListedPending(ctx context.Context, chargeIDs []int64) error {
	_, err := t.tx.Exec(ctx, markListedPendingSQL, chargeIDs)
	return err
}
