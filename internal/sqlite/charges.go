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

func (s *NetflixStore) IngestCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, signature string, at time.Time) ([]netflix.IngestResult, error) {
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
	results := make([]netflix.IngestResult, len(charges))
	err = s.db.writeTx(ctx, func(tx *sql.Tx) error {
		if signature != "" {
			_, err := tx.ExecContext(ctx, `INSERT INTO netflix_partner_signatures (operator_id, signature, seen_at) VALUES (?, ?, ?)`,
				operatorID, signature, unix(at))
			if isUniqueViolation(err) {
				return carebridge.Errorf(carebridge.EUNAUTHORIZED, "This signed report was received before; sign each report anew.")
			}
			if err != nil {
				return err
			}
		}
		// One statement inserts the whole batch; a partner charge id seen
		// before (or earlier in the batch) is skipped.
		inserted, err := queryIDs(ctx, tx, `INSERT INTO netflix_charges
			(id, operator_id, partner_charge_id, customer_identifier, amount_minor, currency,
			 local_amount_minor, local_currency, paid_through_date, received_on, status, created_at)
			SELECT j.value ->> 'id', ?1, j.value ->> 'p', j.value ->> 'c', j.value ->> 'a', j.value ->> 'cur',
			       j.value ->> 'la', j.value ->> 'lc', j.value ->> 'pt', j.value ->> 'r', 'PENDING', ?2
			FROM json_each(?3) j WHERE true
			ON CONFLICT (operator_id, partner_charge_id) DO NOTHING
			RETURNING partner_charge_id, id`, operatorID, unix(at), string(batch))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
			SELECT value, NULL, 'PENDING', 'partner', ? FROM json_each(?)`, unix(at), jsonValues(inserted)); err != nil {
			return err
		}
		all, err := queryIDs(ctx, tx, `SELECT partner_charge_id, id FROM netflix_charges
			WHERE operator_id = ? AND partner_charge_id IN (SELECT j.value ->> 'p' FROM json_each(?) j)`, operatorID, string(batch))
		if err != nil {
			return err
		}
		first := map[string]bool{}
		for i, c := range charges {
			_, isNew := inserted[c.PartnerChargeID]
			results[i] = netflix.IngestResult{
				PartnerChargeID: c.PartnerChargeID,
				ChargeID:        all[c.PartnerChargeID],
				Duplicate:       !isNew || first[c.PartnerChargeID],
			}
			first[c.PartnerChargeID] = true
		}
		return nil
	})
	return results, err
}

// queryIDs reads (partner charge id, id) pairs.
func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) (map[string]int64, error) {
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
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
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
		settled = 0
		for _, c := range pending {
			if err := settleOne(ctx, tx, c, at, settle); err != nil {
				return err
			}
			settled++
		}
		return nil
	})
	return settled, err
}

func settleOne(ctx context.Context, tx *sql.Tx, c netflix.Charge, at time.Time, settle netflix.SettleFunc) error {
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
	if !status.Terminates() || sub == nil || sub.LifeCycleState == netflix.Cancelled {
		return nil
	}
	// DECLINED and BAD_REQUEST end the subscription, as the document says.
	life, onNetflix, err := netflix.Next(netflix.ActionCancel, sub.LifeCycleState)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE netflix_subscriptions SET life_cycle_state = ?, netflix_state = ?, updated_at = ? WHERE id = ?`,
		life, onNetflix, unix(at), sub.ID); err != nil {
		return err
	}
	return insertEvent(ctx, tx, netflix.Event{
		SubscriptionID: sub.ID, Action: netflix.ActionCancel, From: sub.LifeCycleState, To: life,
		ActorUsername: netflix.SettlementActor, At: at,
	})
}

func (s *NetflixStore) UnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.Charge, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+chargeColumns+` FROM netflix_charges
		WHERE operator_id = ? AND (status <> 'PENDING') = ? AND unacknowledged = 1
		ORDER BY received_on, id LIMIT ? OFFSET ?`, operatorID, r.Processed, r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	charges := []netflix.Charge{}
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, err
		}
		charges = append(charges, c)
	}
	return charges, rows.Err()
}

func (s *NetflixStore) AcknowledgeCharges(ctx context.Context, operatorID int64, acks []netflix.Ack, actor carebridge.Caller, at time.Time) ([]netflix.AckFailure, error) {
	var failures []netflix.AckFailure
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
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

// acknowledgeOne acknowledges one charge's current status and returns a
// failure code, or "" on success (including a repeat).
func acknowledgeOne(ctx context.Context, tx *sql.Tx, operatorID int64, a netflix.Ack, actor carebridge.Caller, at time.Time) (string, error) {
	id, ok := netflix.ParseChargeNumber(a.Number)
	if !ok {
		return netflix.AckNotFound, nil
	}
	var customer, status string
	err := tx.QueryRowContext(ctx, `SELECT customer_identifier, status FROM netflix_charges WHERE id = ? AND operator_id = ?`,
		id, operatorID).Scan(&customer, &status)
	if err == sql.ErrNoRows {
		return netflix.AckNotFound, nil
	}
	if err != nil {
		return "", err
	}
	if customer != a.Customer {
		return netflix.AckWrongCustomer, nil
	}
	// DO NOTHING covers both a repeat (same charge and status) and a
	// reference number in use; the row count tells them apart.
	res, err := tx.ExecContext(ctx, `INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		id, status, operatorID, nullString(a.ReferenceNumber), actor.UserID, unix(at))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var repeat bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = ? AND status = ?)`,
			id, status).Scan(&repeat); err != nil {
			return "", err
		}
		if repeat {
			return "", nil
		}
		return netflix.AckReferenceInUse, nil
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

func (s *NetflixStore) PurgePartnerSignatures(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM netflix_partner_signatures WHERE seen_at < ?`, unix(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
