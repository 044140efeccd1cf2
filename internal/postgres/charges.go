package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// ingestSQL inserts a batch, passed as one array per column, in one
// statement, and records the intake event of each charge it inserted.
//
// A partner charge id stored before is left out before any number is
// drawn, so that retries do not burn numbers; ON CONFLICT DO NOTHING
// covers the id another replica inserts at the same moment (the insert
// waits for that transaction and then skips the row). A charge with a
// fixed number (example data) keeps it; the others draw from the identity
// sequence in batch order.
const ingestSQL = `WITH batch AS (
	SELECT * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[],
	                     $8::bigint[], $9::text[], $10::bigint[], $11::bigint[])
		WITH ORDINALITY AS b (id, p, c, a, cur, la, lc, pt, r, n)
), fresh AS (
	SELECT b.* FROM batch b
	WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = $1 AND x.partner_charge_id = b.p)
), ins AS (
	INSERT INTO netflix_charges
		(id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
		 local_amount_minor, local_currency, paid_through_date, received_on, status, created_at, report)
	SELECT coalesce(f.id, nextval(pg_get_serial_sequence('netflix_charges', 'id')::regclass)),
	       $1, f.p, f.c, f.a, f.cur, f.la, f.lc, f.pt, f.r, 'PENDING', $2, nullif($12, '')
	FROM fresh f ORDER BY f.n
	ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
	RETURNING id, partner_charge_id
), events AS (
	INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
	SELECT id, NULL, 'PENDING', $13, $2 FROM ins ORDER BY id
)
SELECT partner_charge_id, id FROM ins`

// advanceChargeSequenceSQL moves the identity sequence of netflix_charges
// past the highest stored number, and never back: a sequence behind the
// highest number would hand out a fixed number again, and one moved back
// (after a factory reset emptied the table) would reuse numbers.
const advanceChargeSequenceSQL = `SELECT setval(s.seq, GREATEST((SELECT max(id) FROM netflix_charges), pg_sequence_last_value(s.seq), 1))
	FROM (SELECT pg_get_serial_sequence('netflix_charges', 'id')::regclass AS seq) s`

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
		paidThrough[i] = nullUnix(c.PaidThroughDate)
		received[i] = unix(c.ReceivedOn)
	}
	if fixedIDs {
		// Fixed numbers and the sequence are reconciled while no other
		// transaction can insert charges (and so draw numbers): taken
		// before this transaction inserts any, the lock cannot deadlock
		// with another loader's.
		if _, err := t.tx.Exec(ctx, `LOCK TABLE netflix_charges IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return nil, err
		}
	}
	inserted, err := queryIDs(ctx, t.tx, ingestSQL, operatorID, unix(at),
		ids, partners, customers, amounts, currencies, localAmounts, localCurs, paidThrough, received, report, netflix.IntakeActor)
	if err != nil {
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
	rows, err := t.tx.Query(ctx, `SELECT partner_charge_id, id, customer_identifier, amount_minor, currency, received_on, coalesce(report, '')
		FROM netflix_charges
		WHERE operator_id = $1 AND partner_charge_id = ANY ($2::text[])`, operatorID, partnerIDs)
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
func queryIDs(ctx context.Context, tx pgx.Tx, query string, args ...any) (map[string]int64, error) {
	rows, err := tx.Query(ctx, query, args...)
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

const chargeColumns = `id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
	local_amount_minor, local_currency, paid_through_date, received_on, status,
	set_as_approved_on, set_as_declined_on, set_as_bad_request_on, set_as_rejected_on`

// scanCharge scans chargeColumns, then any extra columns into extra.
func scanCharge(row scanner, extra ...any) (netflix.Charge, error) {
	var c netflix.Charge
	var localAmount *int64
	var localCurrency *string
	var paidThrough, approved, declined, badRequest, rejected *int64
	var received int64
	dest := append([]any{&c.ID, &c.OperatorID, &c.PartnerChargeID, &c.Customer, &c.Amount.Minor, &c.Amount.Currency,
		&localAmount, &localCurrency, &paidThrough, &received, &c.Status,
		&approved, &declined, &badRequest, &rejected}, extra...)
	err := row.Scan(dest...)
	if localCurrency != nil && localAmount != nil {
		c.LocalAmount = money.Amount{Minor: *localAmount, Currency: *localCurrency}
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

// ListUnacknowledgedCharges lists with the partial index
// netflix_charges_unacknowledged.
func (s *NetflixEngine) ListUnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.ListedCharge, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+chargeColumns+`, listed_pending FROM netflix_charges
		WHERE operator_id = $1 AND (status <> 'PENDING') = $2 AND unacknowledged
		ORDER BY received_on, id LIMIT $3 OFFSET $4`, operatorID, r.Processed, r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var listed []netflix.ListedCharge
	for rows.Next() {
		var c netflix.ListedCharge
		if c.Charge, err = scanCharge(rows, &c.ListedPending); err != nil {
			return nil, err
		}
		listed = append(listed, c)
	}
	return listed, rows.Err()
}

func (t netflixTx) MarkListedPending(ctx context.Context, chargeIDs []int64) error {
	_, err := t.tx.Exec(ctx, `UPDATE netflix_charges SET listed_pending = true
		WHERE id = ANY ($1::bigint[]) AND NOT listed_pending`, chargeIDs)
	return err
}

func (s *NetflixEngine) ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]netflix.ChargeEvent, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT e.charge_id, e.from_status, e.to_status, e.actor, e.at
		FROM netflix_charge_events e JOIN netflix_charges c ON c.id = e.charge_id
		WHERE c.operator_id = $1 AND e.charge_id = $2 ORDER BY e.id`, operatorID, chargeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []netflix.ChargeEvent
	for rows.Next() {
		var ev netflix.ChargeEvent
		var from *string
		var at int64
		if err := rows.Scan(&ev.ChargeID, &from, &ev.To, &ev.Actor, &at); err != nil {
			return nil, err
		}
		ev.From, ev.At = netflix.ChargeStatus(deref(from)), fromUnix(at)
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// PendingCharges reads the settlement backlog with the partial index
// netflix_charges_pending.
func (s *NetflixEngine) PendingCharges(ctx context.Context) (netflix.PendingSummary, error) {
	var p netflix.PendingSummary
	var oldest *int64
	if err := s.db.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM netflix_charges WHERE status = 'PENDING'`).Scan(&p.Count, &oldest); err != nil {
		return p, err
	}
	if oldest != nil {
		p.Oldest = fromUnix(*oldest)
	}
	return p, nil
}
