package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/storage"
)

// chargeRow is how InsertCharges hands a batch to json_each.
type chargeRow struct {
	ID          *int64  `json:"id"`
	Partner     string  `json:"p"`
	Customer    string  `json:"c"`
	Amount      int64   `json:"a"`
	Currency    string  `json:"cur"`
	LocalAmount *int64  `json:"la"`
	LocalCur    *string `json:"lc"`
	PaidThrough *int64  `json:"pt"`
	ReceivedOn  int64   `json:"r"`
}

// InsertCharges inserts the batch with one statement (insertChargesSQL)
// and records their intake events with another.
func (t netflixTx) InsertCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) (map[string]int64, error) {
	rows := make([]chargeRow, len(charges))
	for i, c := range charges {
		r := chargeRow{Partner: c.PartnerChargeID, Customer: c.Customer, Amount: c.Amount.Minor, Currency: c.Amount.Currency,
			ReceivedOn: storage.Unix(c.ReceivedOn), PaidThrough: storage.NullUnix(c.PaidThroughDate)}
		if c.ID > 0 {
			r.ID = &c.ID
		}
		if c.LocalAmount.Currency != "" {
			r.LocalAmount, r.LocalCur = &c.LocalAmount.Minor, &c.LocalAmount.Currency
		}
		rows[i] = r
	}
	batch, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	inserted := map[string]int64{}
	rs, err := t.tx.QueryContext(ctx, insertChargesSQL, operatorID, storage.Unix(at), string(batch), report)
	if err := each(rs, err, storage.ScanChargeIDInto(inserted)); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(inserted))
	for _, id := range inserted {
		ids = append(ids, id)
	}
	if _, err := t.tx.ExecContext(ctx, intakeEventsSQL, netflix.IntakeActor, storage.Unix(at), jsonArray(ids)); err != nil {
		return nil, err
	}
	return inserted, nil
}

func (t netflixTx) StoredCharges(ctx context.Context, operatorID int64, partnerIDs []string) (map[string]netflix.StoredCharge, error) {
	out := map[string]netflix.StoredCharge{}
	rows, err := t.tx.QueryContext(ctx, storedChargesSQL, operatorID, jsonArray(partnerIDs))
	return out, each(rows, err, storage.ScanStoredChargeInto(out))
}

// jsonArray is a list as the JSON array json_each reads.
func jsonArray[T any](list []T) string {
	b, _ := json.Marshal(list) // a list of ids or strings always encodes
	return string(b)
}

func (s *NetflixEngine) ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.ListedCharge, error) {
	rows, err := s.db.readRows(ctx, listUnacknowledgedSQL, operatorID, r.Processed, r.Limit, r.Offset)
	return collect(rows, err, nil, storage.ScanListedCharge)
}

func (t netflixTx) MarkListedPending(ctx context.Context, chargeIDs []int64) error {
	_, err := t.tx.ExecContext(ctx, markListedPendingSQL, jsonArray(chargeIDs))
	return err
}
