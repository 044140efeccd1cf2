package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// ingestSQL inserts a batch, passed as one array per column, in one
// statement, and records the intake event of each charge it inserted.
//
// A partner charge id stored before, or repeated inside the batch, is left
// out before any number is drawn (DISTINCT ON keeps its first occurrence),
// so that retries do not burn numbers; ON CONFLICT DO NOTHING covers the id
// another replica inserts at the same moment (the insert waits for that
// transaction and then skips the row). A charge with a fixed number (example
// data) keeps it; the others draw from the identity sequence in batch order.
const ingestSQL = `WITH batch AS (
	SELECT * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[],
	                     $8::bigint[], $9::text[], $10::bigint[], $11::bigint[])
		WITH ORDINALITY AS b (id, p, c, a, cur, la, lc, pt, r, n)
), fresh AS (
	SELECT DISTINCT ON (b.p) b.* FROM batch b
	WHERE NOT EXISTS (SELECT 1 FROM netflix_charges x WHERE x.operator_id = $1 AND x.partner_charge_id = b.p)
	ORDER BY b.p, b.n
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
	SELECT id, NULL, 'PENDING', 'partner', $2 FROM ins ORDER BY id
)
SELECT partner_charge_id, id FROM ins`

// advanceChargeSequenceSQL moves the identity sequence of netflix_charges
// past the highest stored number, and never back: a sequence behind the
// highest number would hand out a fixed number again, and one moved back
// (after a factory reset emptied the table) would reuse numbers.
const advanceChargeSequenceSQL = `SELECT setval(s.seq, GREATEST((SELECT max(id) FROM netflix_charges), pg_sequence_last_value(s.seq), 1))
	FROM (SELECT pg_get_serial_sequence('netflix_charges', 'id')::regclass AS seq) s`

func (s *NetflixStore) IngestCharges(ctx context.Context, operatorID int64, charges []netflix.NewCharge, report string, at time.Time) ([]netflix.IngestResult, error) {
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
	results := make([]netflix.IngestResult, n)
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if fixedIDs {
			// Fixed numbers and the sequence are reconciled while no other
			// transaction can insert charges (and so draw numbers): taken
			// before this transaction inserts any, the lock cannot deadlock
			// with another loader's.
			if _, err := tx.Exec(ctx, `LOCK TABLE netflix_charges IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		inserted, err := queryIDs(ctx, tx, ingestSQL, operatorID, unix(at),
			ids, partners, customers, amounts, currencies, localAmounts, localCurs, paidThrough, received, report)
		if err != nil {
			return err
		}
		if fixedIDs {
			if _, err := tx.Exec(ctx, advanceChargeSequenceSQL); err != nil {
				return err
			}
		}
		stored, err := storedCharges(ctx, tx, operatorID, partners)
		if err != nil {
			return err
		}
		copy(results, netflix.IngestResults(charges, report, inserted, stored))
		return nil
	})
	return results, retryable(err)
}

// storedCharges reads the stored charges of a batch's partner ids. It is a
// statement of its own, so that it also sees a charge another replica
// committed while this transaction's insert waited for it.
func storedCharges(ctx context.Context, tx pgx.Tx, operatorID int64, partnerIDs []string) (map[string]netflix.StoredCharge, error) {
	rows, err := tx.Query(ctx, `SELECT partner_charge_id, id, customer_identifier, amount_minor, currency, received_on, coalesce(report, '')
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

// SettleCharges claims its batch with FOR UPDATE SKIP LOCKED: processors of
// several replicas settle disjoint batches side by side, and a charge
// claimed by one is never seen by another until that one commits (it is no
// longer PENDING then) or rolls back or dies (the lock goes with its
// connection, and the charge is PENDING as before).
func (s *NetflixStore) SettleCharges(ctx context.Context, limit int, at time.Time, settle netflix.SettleFunc) (int, error) {
	settled := 0
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+chargeColumns+` FROM netflix_charges
			WHERE status = 'PENDING' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
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
	if err != nil {
		return 0, retryable(err)
	}
	return settled, nil
}

func settleOne(ctx context.Context, tx pgx.Tx, c netflix.Charge, at time.Time, settle netflix.SettleFunc) error {
	var sub *netflix.Subscription
	found, err := scanSubscription(tx.QueryRow(ctx, latestSubscriptionSQL, c.OperatorID, c.Customer))
	switch {
	case err == nil:
		sub = &found
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	status := settle(c, sub)
	column, ok := statusDateColumn[status]
	if !ok {
		return carebridge.Errorf(carebridge.EINTERNAL, "settlement chose status %q", status)
	}
	var subID *int64
	if sub != nil {
		subID = &sub.ID
	}
	// The row is locked by the claim; the status check is a safeguard.
	tag, err := tx.Exec(ctx, `UPDATE netflix_charges SET status = $1, `+column+` = $2, subscription_id = $3, unacknowledged = true
		WHERE id = $4 AND status = 'PENDING'`, status, unix(at), subID, c.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return carebridge.Errorf(carebridge.EUNAVAILABLE, "charge %d changed during settlement; the batch is retried", c.ID)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO netflix_charge_events (charge_id, from_status, to_status, actor, at)
		VALUES ($1, 'PENDING', $2, $3, $4)`, c.ID, status, netflix.SettlementActor, unix(at)); err != nil {
		return err
	}
	if status == netflix.Approved {
		// The customer's prices for subscriptions/show; LEAST keeps the
		// order first charged whatever order charges are settled in, and
		// whichever replica settles first.
		if _, err := tx.Exec(ctx, `INSERT INTO netflix_customer_prices
			(operator_id, customer_identifier, amount_minor, currency, first_charge_id) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (operator_id, customer_identifier, amount_minor, currency)
			DO UPDATE SET first_charge_id = LEAST(netflix_customer_prices.first_charge_id, excluded.first_charge_id)`,
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
	// The state read above is checked again in the write: the subscription
	// is not locked by the read, and another replica may have moved it
	// since. The UPDATE waits for a transaction holding the row and then
	// re-checks the condition on the row as that one left it.
	tag, err = tx.Exec(ctx, `UPDATE netflix_subscriptions SET life_cycle_state = $1, netflix_state = $2, updated_at = $3
		WHERE id = $4 AND life_cycle_state = $5`, life, onNetflix, unix(at), sub.ID, sub.LifeCycleState)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return carebridge.Errorf(carebridge.EUNAVAILABLE, "subscription %d changed during settlement; the batch is retried", sub.ID)
	}
	return insertEvent(ctx, tx, netflix.Event{
		SubscriptionID: sub.ID, Action: netflix.ActionCancel, From: sub.LifeCycleState, To: life,
		ActorUsername: netflix.SettlementActor, At: at,
	})
}

// UnacknowledgedCharges lists with the partial index
// netflix_charges_unacknowledged, then marks the PENDING charges it shows
// for the first time as listed_pending, as SQLite does.
func (s *NetflixStore) UnacknowledgedCharges(ctx context.Context, operatorID int64, r netflix.ListRequest) ([]netflix.Charge, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+chargeColumns+`, listed_pending FROM netflix_charges
		WHERE operator_id = $1 AND (status <> 'PENDING') = $2 AND unacknowledged
		ORDER BY received_on, id LIMIT $3 OFFSET $4`, operatorID, r.Processed, r.Limit, r.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	charges := []netflix.Charge{}
	var unmarked []int64
	for rows.Next() {
		var listedPending bool
		c, err := scanCharge(rows, &listedPending)
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
	rows.Close()
	if len(unmarked) == 0 {
		return charges, nil // nothing new shown as PENDING: no write
	}
	// Marked even if settled since the read: the operator saw it PENDING.
	_, err = s.db.pool.Exec(ctx, `UPDATE netflix_charges SET listed_pending = true
		WHERE id = ANY ($1::bigint[]) AND NOT listed_pending`, unmarked)
	return charges, retryable(err)
}

// AcknowledgeCharges locks the charges it is given (in number order, so that
// two calls cannot deadlock) before it decides anything about them: a
// settlement or another acknowledgement of the same charge by another
// replica waits for this one, or this one for it.
func (s *NetflixStore) AcknowledgeCharges(ctx context.Context, operatorID int64, acks []netflix.Ack, actor carebridge.Caller, at time.Time) ([]netflix.AckFailure, error) {
	var ids []int64
	for _, a := range acks {
		if id, ok := netflix.ParseChargeNumber(a.Number); ok {
			ids = append(ids, id)
		}
	}
	var failures []netflix.AckFailure
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		if len(ids) > 0 {
			if _, err := tx.Exec(ctx, `SELECT id FROM netflix_charges WHERE id = ANY ($1::bigint[]) AND operator_id = $2
				ORDER BY id FOR UPDATE`, ids, operatorID); err != nil {
				return err
			}
		}
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
	return failures, retryable(err)
}

// acknowledgeOne acknowledges one charge and returns a failure code, or ""
// on success (including a repeat). It covers the current status, except
// for a charge settled after charges/list showed it as PENDING and before
// that PENDING was acknowledged: then it covers the PENDING status the
// operator saw, and the settled status stays listed under PROCESSED.
func acknowledgeOne(ctx context.Context, tx pgx.Tx, operatorID int64, a netflix.Ack, actor carebridge.Caller, at time.Time) (string, error) {
	id, ok := netflix.ParseChargeNumber(a.Number)
	if !ok {
		return netflix.AckNotFound, nil
	}
	var customer string
	var current netflix.ChargeStatus
	var listedPending bool
	// Locked already by AcknowledgeCharges; FOR UPDATE states it.
	err := tx.QueryRow(ctx, `SELECT customer_identifier, status, listed_pending FROM netflix_charges
		WHERE id = $1 AND operator_id = $2 FOR UPDATE`, id, operatorID).Scan(&customer, &current, &listedPending)
	if errors.Is(err, pgx.ErrNoRows) {
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
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM netflix_charge_acknowledgements WHERE charge_id = $1 AND status = $2)`, id, s).Scan(&yes)
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
		// Another replica taking the same reference for another charge at
		// once: this insert waits for it, does nothing, and the next
		// statement sees its row.
		if _, err := tx.Exec(ctx, `INSERT INTO netflix_reference_numbers (operator_id, reference_number, charge_id)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, operatorID, a.ReferenceNumber, id); err != nil {
			return "", err
		}
		var owner int64
		if err := tx.QueryRow(ctx, `SELECT charge_id FROM netflix_reference_numbers WHERE operator_id = $1 AND reference_number = $2`,
			operatorID, a.ReferenceNumber).Scan(&owner); err != nil {
			return "", err
		}
		if owner != id {
			return netflix.AckReferenceInUse, nil
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO netflix_charge_acknowledgements
		(charge_id, status, operator_id, reference_number, actor_user_id, acknowledged_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, status, operatorID, nullString(a.ReferenceNumber), actor.UserID, unix(at)); err != nil {
		return "", err
	}
	if status != current {
		return "", nil
	}
	_, err = tx.Exec(ctx, `UPDATE netflix_charges SET unacknowledged = false WHERE id = $1 AND status = $2`, id, status)
	return "", err
}

func (s *NetflixStore) ChargeEvents(ctx context.Context, operatorID, chargeID int64) ([]netflix.ChargeEvent, error) {
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
func (s *NetflixStore) PendingCharges(ctx context.Context) (netflix.PendingSummary, error) {
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
