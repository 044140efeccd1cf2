package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"carebridge/internal/netflix"
)

// CustomerSummaryColumns are the columns ScanCustomerSummary reads, in
// its order, of one subscription row.
const CustomerSummaryColumns = SubscriptionColumns + `, customer_first_name, customer_last_name`

// ScanCustomerSummary reads CustomerSummaryColumns.
func ScanCustomerSummary(row Scanner) (netflix.CustomerSummary, error) {
	var sub netflix.Subscription
	var created, updated int64
	var first, last nullString
	err := row.Scan(&sub.ID, &sub.OperatorID, &sub.Customer, &sub.LifeCycleState, &sub.NetflixState, &created, &updated, &first, &last)
	sub.CreatedAt, sub.UpdatedAt = FromUnix(created), FromUnix(updated)
	return netflix.CustomerSummary{Customer: sub.Customer, Latest: &sub, FirstName: first.s, LastName: last.s}, err
}

// The care plane's queries (netflix.CareQueries) but CustomersInRange,
// which each engine words its own way.

func (s NetflixQueries) CustomerLatest(ctx context.Context, operatorID int64, customer string) (*netflix.CustomerSummary, error) {
	sum, err := ScanCustomerSummary(s.DB.QueryRow(ctx, customerLatestSQL, operatorID, customer))
	switch {
	case NoRows(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &sum, nil
}

func (s NetflixQueries) HasCharges(ctx context.Context, operatorID int64, customer string) (has bool, err error) {
	err = s.DB.QueryRow(ctx, hasChargesSQL, operatorID, customer).Scan(&has)
	return has, err
}

func (s NetflixQueries) SubscriptionCustomer(ctx context.Context, operatorID, subscriptionID int64) (string, error) {
	return customerOf(ctx, s.DB, subscriptionCustomerSQL, subscriptionID, operatorID)
}

func (s NetflixQueries) ChargeCustomer(ctx context.Context, operatorID, chargeID int64) (string, error) {
	return customerOf(ctx, s.DB, chargeCustomerSQL, chargeID, operatorID)
}

// customerOf reads one row's customer identifier; "" when there is none.
func customerOf(ctx context.Context, q Querier, query SQL, id, operatorID int64) (string, error) {
	customer, err := ScanString(q.QueryRow(ctx, query, id, operatorID))
	if NoRows(err) {
		return "", nil
	}
	return customer, err
}

func (s NetflixQueries) CustomerSubscriptions(ctx context.Context, operatorID int64, customer string) ([]netflix.StoredSubscription, error) {
	return collect(ctx, s.DB, customerSubscriptionsSQL, []netflix.StoredSubscription{}, scanStoredSubscription, operatorID, customer)
}

// scanStoredSubscription reads a row of customerSubscriptionsSQL.
func scanStoredSubscription(row Scanner) (netflix.StoredSubscription, error) {
	var v netflix.StoredSubscription
	var created, updated int64
	var channel, first, last, address, email, phone nullString
	if err := row.Scan(&v.ID, &v.OperatorID, &v.Customer, &v.LifeCycleState, &v.NetflixState, &created, &updated,
		&channel, &first, &last, &address, &email, &phone); err != nil {
		return v, err
	}
	v.CreatedAt, v.UpdatedAt = FromUnix(created), FromUnix(updated)
	v.Channel, v.Contact.FirstName, v.Contact.LastName = channel.s, first.s, last.s
	var err error
	if v.Contact.Address, err = fromNullJSON[netflix.Address](address, "customer_address", v.ID); err != nil {
		return v, err
	}
	if v.Contact.Email, err = fromNullJSON[netflix.Email](email, "customer_email", v.ID); err != nil {
		return v, err
	}
	v.Contact.Phone, err = fromNullJSON[netflix.Phone](phone, "customer_phone", v.ID)
	return v, err
}

// fromNullJSON decodes what NullJSON stored; NULL is nil.
func fromNullJSON[T any](v nullString, column string, subscriptionID int64) (*T, error) {
	if !v.ok {
		return nil, nil
	}
	out := new(T)
	if err := json.Unmarshal([]byte(v.s), out); err != nil {
		return nil, fmt.Errorf("decode %s of subscription %d: %w", column, subscriptionID, err)
	}
	return out, nil
}

func (s NetflixQueries) CustomerRedemptions(ctx context.Context, operatorID int64, customer string) ([]netflix.RedeemedPromotion, error) {
	return collect(ctx, s.DB, customerRedemptionsSQL, nil, func(row Scanner) (netflix.RedeemedPromotion, error) {
		var r netflix.RedeemedPromotion
		var desc nullString
		var from int64
		var expires nullInt
		p := &r.Promotion
		err := row.Scan(&r.SubscriptionID, &p.ID, &p.OperatorID, &p.Code, &p.Name, &desc, &from, &expires)
		p.Description, p.EffectiveFrom, p.ExpiresOn = desc.s, FromUnix(from), expires.time()
		return r, err
	}, operatorID, customer)
}

func (s NetflixQueries) CustomerApprovedPrices(ctx context.Context, operatorID int64, customer string) ([]netflix.SubscriptionPrice, error) {
	return collect(ctx, s.DB, customerApprovedPricesSQL, nil, func(row Scanner) (netflix.SubscriptionPrice, error) {
		var p netflix.SubscriptionPrice
		err := row.Scan(&p.SubscriptionID, &p.Amount.Minor, &p.Amount.Currency)
		return p, err
	}, operatorID, customer)
}

func (s NetflixQueries) CustomerCharges(ctx context.Context, operatorID int64, customer string, limit int) ([]netflix.CustomerCharge, error) {
	return collect(ctx, s.DB, customerChargesSQL, []netflix.CustomerCharge{}, func(row Scanner) (netflix.CustomerCharge, error) {
		var ack nullString
		c, err := scanCharge(row, &ack)
		return netflix.CustomerCharge{Charge: c, Acknowledged: ack.ok, ReferenceNumber: ack.s}, err
	}, operatorID, customer, limit)
}

func (s NetflixQueries) CustomerEvents(ctx context.Context, operatorID int64, customer string) ([]netflix.Event, error) {
	return collect(ctx, s.DB, customerEventsSQL, []netflix.Event{}, ScanEvent, operatorID, customer)
}

// ChargeCounts is one statement, so its counts and the oldest PENDING
// charge are read as of one moment on both engines.
func (s NetflixQueries) ChargeCounts(ctx context.Context, operatorID int64) (map[netflix.ChargeStatus]int64, time.Time, error) {
	counts := map[netflix.ChargeStatus]int64{}
	var oldest time.Time
	err := s.DB.Query(ctx, chargeCountsSQL, func(row Scanner) error {
		var status netflix.ChargeStatus
		var n, first int64
		if err := row.Scan(&status, &n, &first); err != nil {
			return err
		}
		counts[status] = n
		if status == netflix.Pending {
			oldest = FromUnix(first)
		}
		return nil
	}, operatorID)
	if err != nil {
		return nil, time.Time{}, err
	}
	return counts, oldest, nil
}
