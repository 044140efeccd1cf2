package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// chargeRow is how IngestCharges hands a batch to json_each.
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

func (s *NetflixStore) IngestCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) ([]netflix.IngestResult, error) {
	// Only the first of a partner id repeated in the batch is offered to
	// the insert (IngestResults answers the others), and the insert skips
	// ids stored before: a row that met the unique key would still draw a
	// number, and retries must not burn numbers.
	rows := make([]chargeRow, 0, len(charges))
	offered := make(map[string]bool, len(charges))
	for _, c := range charges {
		if offered[c.PartnerChargeID] {
			continue
		}
		offered[c.PartnerChargeID] = true
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
		rows = append(rows, r)
	}
	batch, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	results := make([]netflix.IngestResult, len(charges))
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		// One statement inserts the whole batch.
		inserted, err := queryIDs(ctx, tx, `INSERT INTO netflix_charges
			(id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
			 local_amount_minor, local_currency, paid_through_date, received_on, status, created_at, report)
			SELECT j.value ->> 'id', ?1, j.value ->> 'p', j.value ->> 'c', j.value ->> 'a', j.value ->> 'cur',
			       j.value ->> 'la', j.value ->> 'lc', j.value ->> 'pt', j.value ->> 'r', 'PENDING', ?2, nullif(?4, '')
			FROM json_each(?3) j
			WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = ?1 AND x.partner_charge_id = j.value ->> 'p')
			ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
			RETURNING partner_charge_id, id`, operatorID, unix(at), string(batch), report)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
			SELECT value, NULL, 'PENDING', 'partner', ? FROM json_each(?)`, unix(at), jsonValues(inserted)); err != nil {
			return err
		}
		stored, err := storedCharges(ctx, tx, operatorID, string(batch))
		if err != nil {
			return err
		}
		copy(results, netflix.IngestResults(charges, report, inserted, stored))
		return nil
	})
	return results, err
}

// storedCharges reads the stored charges of a batch's partner ids.
func storedCharges(ctx context.Context, tx *wtx, operatorID int64, batch string) (map[string]netflix.StoredCharge, error) {
	rows, err := tx.QueryContext(ctx, `SELECT partner_charge_id, id, customer_identifier, amount_minor, currency, received_on, coalesce(report, '')
		FROM netflix_charges
		WHERE operator_id = ? AND partner_charge_id IN (SELECT j.value ->> 'p' FROM json_each(?) j)`, operatorID, batch)
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

func (s *NetflixStore) SettleCharges(ctx context.Context, limit int, at time.Time, settle netflix.SettleFunc) (int, error) {
	settled := 0
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		// The write transaction is the claim: no other process can settle
		// these rows until it commits or rolls back.
		rows, err := tx.QueryContext(ctx, `SELECT `+chargeColumns+` FROM netflix_charges
			WHERE status = 'PENDING' ORDER BY id LIMIT ?`, limit)
		if err != nil {
			return err
		}
		var pending []netflix.Charge
		for rows.Next() {
			c, err := scanCharge(rows)
			if err != nil {
				rows.Close()
				return err
			}
			pending = append(pending, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range pending {
			if err := settleOne(ctx, tx, c, at, settle); err != nil {
				return err
			}
		}
		settled = len(pending)
		return nil
	})
	if err != nil {
		return 0, err // rolled back: nothing was settled
	}
	return settled, nil
}

func settleOne(ctx context.Context, tx *wtx, c netflix.Charge, at time.Time, settle netflix.SettleFunc) error {
	var sub *netflix.Subscription
	found, err := scanSubscription(tx.QueryRowContext(ctx, latestSubscriptionSQL, c.OperatorID, c.Customer))
	switch {
	case err == nil:
		sub = &found
	case err != sql.ErrNoRows:
		return err
	}
	status := settle(c, sub)
	column, ok := statusDateColumn[status]
	if !ok {
		return carebridge.Errorf(carebridge.EINTERNAL, "settlement chose status %q", status)
	}
	var subID sql.NullInt64
	if sub != nil {
		subID = sql.NullInt64{Int64: sub.ID, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE netflix_charges SET status = ?, `+column+` = ?, subscription_id = ?, unacknowledged = 1
		WHERE id = ? AND status = 'PENDING'`, status, unix(at), subID, c.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES (?, 'PENDING', ?, ?, ?)`, c.ID, status, netflix.SettlementActor, unix(at)); err != nil {
		return err
	}
	if status == netflix.Approved {
		// The customer's prices for subscriptions/show; min keeps the
		// order first charged whatever order charges are settled in.
		if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_customer_prices
			(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
			DO UPDATE SET first_charge_id = min(first_charge_id, excluded.first_charge_id)`,
			c.OperatorID, c.Customer, c.Amount.Minor, c.Amount.Currency, c.ID); err != nil {
			return err
		}
	}
	if !status.Terminates() || sub == nil || sub.LifeCycleState == netflix.Cancelled {
		return nil
	}
	// DECLINED ends the subscription, as the document says (BAD_REQUEST
	// arises only when there is none, REJECTED when it is already ended).
	life, onNetflix, err := netflix.Next(netflix.ActionCancel, sub.LifeCycleState)
	if err != nil {
		return err
	}
	// The state read above is checked again in the write, so that an engine
	// without SQLite's single writer cannot overwrite a concurrent change.
	res, err := tx.ExecContext(ctx, `UPDATE netflix_subscriptions SET life_cycle_state = ?, netflix_state = ?, updated_at = ?
		WHERE id = ? AND life_cycle_state = ?`, life, onNetflix, unix(at), sub.ID, sub.LifeCycleState)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return carebridge.Errorf(carebridge.EUNAVAILABLE, "subscription %d changed during settlement; the batch is retried", sub.ID)
	}
	return insertEvent(ctx, tx, netflix.Event{
		SubscriptionID: sub.ID, Action: netflix.ActionCancel, From: sub.LifeCycleState, To: life,
		ActorUsername: netflix.SettlementActor, At: at,
	})
}

func (s *NetflixStore) UnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.Charge, error) {
	rows, err := s.db.readRows(ctx, `SELECT `+chargeColumns+`, listed_pending FROM netflix_charges
		WHERE operator_id = ? AND (status <> 'PENDING') = ? AND unacknowledged = 1
		ORDER BY received_on, id LIMIT ? OFFSET ?`, operatorID, r.Processed, r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	charges := []netflix.Charge{}
	var unmarked []int64
	for rows.Next() {
		var listedPending bool
		c, err := scanCharge(rowWith{rows, &listedPending})
		if err != nil {
			return nil, err
		}
		charges = append(charges, c)
		if c.Status == netflix.Pending && !listedPending {
			unmarked = append(unmarked, c.ID)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(unmarked) == 0 {
		return charges, nil // nothing new shown as PENDING: no write
	}
	ids, _ := json.Marshal(unmarked)
	err = s.db.writeTx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE netflix_charges SET listed_pending = 1 WHERE id IN (SELECT value FROM json_each(?))`, string(ids))
		return err
	})
	return charges, err
}

// rowWith scans a charge followed by extra columns.
type rowWith struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

func (s *NetflixStore) AcknowledgeCharges(ctx context.Context, operatorID int64, acks []netflix.Ack, actor carebridge.Caller, at time.Time) ([]netflix.AckFailure, error) {
	var failures []netflix.AckFailure
	err := s.db.writeTx(ctx, func(tx *wtx) error {
		failures = nil
		for _, a := range acks {
			code, err := acknowledgeOne(ctx, tx, operatorID, a, actor, at)
			if err != nil {
				return err
			}
			if code != "" {
				failures = append(failures, netflix.AckFailure{Number: a.Number, ReferenceNumber: a.ReferenceNumber, Code: code})
			}
		}
		return nil
	})
	return failures, err
}

// acknowledgeOne acknowledges one charge and returns a failure code, or ""
// on success (including a repeat). It covers the current status, except
// for a charge settled after charges/list showed it as PENDING and before
// that PENDING was acknowledged: then it covers the PENDING status the
// operator saw, and the settled status stays listed under PROCESSED.
func acknowledgeOne(ctx context.Context, tx *wtx, operatorID int64, a netflix.Ack, actor carebridge.Caller, at time.Time) (string, error) {
	id, ok := netflix.ParseChargeNumber(a.Number)
	if !ok {
		return netflix.AckNotFound, nil
	}
	var customer string
	var current netflix.ChargeStatus
	var listedPending bool
	err := tx.QueryRowContext(ctx, `SELECT customer_identifier, status, listed_pending FROM netflix_charges WHERE id = ? AND operator_id = ?`,
		id, operatorID).Scan(&customer, &current, &listedPending)
	if err == sql.ErrNoRows {
		return netflix.AckNotFound, nil
	}
	if err != nil {
		return "", err
	}
	if customer != a.Customer {
		return netflix.AckWrongCustomer, nil
	}
	acked := func(s netflix.ChargeStatus) (bool, error) {
		var yes bool
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = ? AND status = ?)`, id, s).Scan(&yes)
		return yes, err
	}
	status := current
	if current != netflix.Pending && listedPending {
		pendingAcked, err := acked(netflix.Pending)
		if err != nil {
			return "", err
		}
		if !pendingAcked {
			status = netflix.Pending
		}
	}
	if repeat, err := acked(status); err != nil || repeat {
		return "", err // a repeat is a no-op success
	}
	if a.ReferenceNumber != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, operatorID, a.ReferenceNumber, id); err != nil {
			return "", err
		}
		var owner int64
		if err := tx.QueryRowContext(ctx, `SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = ? AND reference_number = ?`,
			operatorID, a.ReferenceNumber).Scan(&owner); err != nil {
			return "", err
		}
		if owner != id {
			return netflix.AckReferenceInUse, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, status, operatorID, nullString(a.ReferenceNumber), actor.UserID, unix(at)); err != nil {
		return "", err
	}
	if status != current {
		return "", nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE netflix_charges SET unacknowledged = 0 WHERE id = ? AND status = ?`, id, status)
	return "", err
}

func (s *NetflixStore) ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]netflix.ChargeEvent, error) {
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
func (s *NetflixStore) PendingCharges(ctx context.Context) (netflix.PendingSummary, error) {
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
