package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
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

// InsertCharges inserts the batch with one statement, which skips the
// partner ids stored before: a row that met the unique key would still
// draw a number.
func (t netflixTx) InsertCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) (map[string]int64, error) {
	rows := make([]chargeRow, len(charges))
	for i, c := range charges {
		r := chargeRow{Partner: c.PartnerChargeID, Customer: c.Customer, Amount: c.Amount.Minor, Currency: c.Amount.Currency, ReceivedOn: unix(c.ReceivedOn)}
		if c.ID > 0 {
			r.ID = &c.ID
		}
		if c.LocalAmount.Currency != "" {
			r.LocalAmount, r.LocalCur = &c.LocalAmount.Minor, &c.LocalAmount.Currency
		}
		if !c.PaidThroughDate.IsZero() {
			pt := unix(c.PaidThroughDate)
			r.PaidThrough = &pt
		}
		rows[i] = r
	}
	batch, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	inserted, err := queryIDs(ctx, t.tx, `INSERT INTO netflix_charges
		(id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
		 local_amount_minor, local_currency, paid_through_date, received_on, status, created_at, report)
		SELECT j.value ->> 'id', ?1, j.value ->> 'p', j.value ->> 'c', j.value ->> 'a', j.value ->> 'cur',
		       j.value ->> 'la', j.value ->> 'lc', j.value ->> 'pt', j.value ->> 'r', 'PENDING', ?2, nullif(?4, '')
		FROM json_each(?3) j
		WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = ?1 AND x.partner_charge_id = j.value ->> 'p')
		ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
		RETURNING partner_charge_id, id`, operatorID, unix(at), string(batch), report)
	if err != nil {
		return nil, err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		SELECT value, NULL, 'PENDING', ?, ? FROM json_each(?)`, netflix.IntakeActor, unix(at), jsonValues(inserted)); err != nil {
		return nil, err
	}
	return inserted, nil
}

func (t netflixTx) StoredCharges(ctx context.Context, operatorID int64, partnerIDs []string) (map[string]netflix.StoredCharge, error) {
	list, err := json.Marshal(partnerIDs)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT partner_charge_id, id, customer_identifier, amount_minor, currency, received_on, coalesce(report, '')
		FROM netflix_charges
		WHERE operator_id = ? AND partner_charge_id IN (SELECT value FROM json_each(?))`, operatorID, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]netflix.StoredCharge{}
	for rows.Next() {
		var partnerID string
		var s netflix.StoredCharge
		var received int64
		if err := rows.Scan(&partnerID, &s.ID, &s.Customer, &s.Amount.Minor, &s.Amount.Currency, &received, &s.Report); err != nil {
			return nil, err
		}
		s.ReceivedOn = fromUnix(received)
		out[partnerID] = s
	}
	return out, rows.Err()
}

// queryIDs reads (partner charge id, id) pairs.
func queryIDs(ctx context.Context, tx *wtx, query string, args ...any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = id
	}
	return out, rows.Err()
}

func jsonValues(m map[string]int64) string {
	ids := make([]int64, 0, len(m))
	for _, id := range m {
		ids = append(ids, id)
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

const chargeColumns = `id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
	local_amount_minor, local_currency, paid_through_date, received_on, status,
	set_as_approved_on, set_as_declined_on, set_as_bad_request_on, set_as_rejected_on`

func scanCharge(row interface{ Scan(...any) error }) (netflix.Charge, error) {
	var c netflix.Charge
	var localAmount sql.NullInt64
	var localCurrency sql.NullString
	var paidThrough, approved, declined, badRequest, rejected sql.NullInt64
	var received int64
	err := row.Scan(&c.ID, &c.OperatorID, &c.PartnerChargeID, &c.Customer, &c.Amount.Minor, &c.Amount.Currency,
		&localAmount, &localCurrency, &paidThrough, &received, &c.Status,
		&approved, &declined, &badRequest, &rejected)
	if localCurrency.Valid {
		c.LocalAmount = money.Amount{Minor: localAmount.Int64, Currency: localCurrency.String}
	}
	c.PaidThroughDate, c.ReceivedOn = fromNullUnix(paidThrough), fromUnix(received)
	c.ApprovedOn, c.DeclinedOn = fromNullUnix(approved), fromNullUnix(declined)
	c.BadRequestOn, c.RejectedOn = fromNullUnix(badRequest), fromNullUnix(rejected)
	return c, err
}

// statusDateColumn is the set_as_*_on column each settled status sets.
var statusDateColumn = map[netflix.ChargeStatus]string{
	netflix.Approved:   "set_as_approved_on",
	netflix.Declined:   "set_as_declined_on",
	netflix.BadRequest: "set_as_bad_request_on",
	netflix.Rejected:   "set_as_rejected_on",
}

func (s *NetflixEngine) ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.ListedCharge, error) {
	rows, err := s.db.readRows(ctx, `SELECT `+chargeColumns+`, listed_pending FROM netflix_charges
		WHERE operator_id = ? AND (status <> 'PENDING') = ? AND unacknowledged = 1
		ORDER BY received_on, id LIMIT ? OFFSET ?`, operatorID, r.Processed, r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var listed []netflix.ListedCharge
	for rows.Next() {
		var c netflix.ListedCharge
		if c.Charge, err = scanCharge(rowWith{rows, &c.ListedPending}); err != nil {
			return nil, err
		}
		listed = append(listed, c)
	}
	return listed, rows.Err()
}

func (t netflixTx) MarkListedPending(ctx context.Context, chargeIDs []int64) error {
	ids, err := json.Marshal(chargeIDs)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE netflix_charges SET listed_pending = 1
		WHERE id IN (SELECT value FROM json_each(?)) AND NOT listed_pending`, string(ids))
	return err
}

// rowWith scans a charge followed by extra columns.
type rowWith struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

func (s *NetflixEngine) ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]netflix.ChargeEvent, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT e.charge_id, e.from_status, e.to_status, e.actor, e.at
		FROM netflix_charge_events e JOIN netflix_charges c ON c.id = e.charge_id
		WHERE c.operator_id = ? AND e.charge_id = ? ORDER BY e.id`, operatorID, chargeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []netflix.ChargeEvent
	for rows.Next() {
		var ev netflix.ChargeEvent
		var from sql.NullString
		var at int64
		if err := rows.Scan(&ev.ChargeID, &from, &ev.To, &ev.Actor, &at); err != nil {
			return nil, err
		}
		ev.From, ev.At = netflix.ChargeStatus(from.String), fromUnix(at)
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// PendingCharges reads the settlement backlog with the partial index
// netflix_charges_pending.
func (s *NetflixEngine) PendingCharges(ctx context.Context) (netflix.PendingSummary, error) {
	var p netflix.PendingSummary
	var oldest sql.NullInt64
	if err := s.db.readRow(ctx, `SELECT count(*), min(created_at) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&p.Count, &oldest); err != nil {
		return p, err
	}
	if oldest.Valid {
		p.Oldest = fromUnix(oldest.Int64)
	}
	return p, nil
}
