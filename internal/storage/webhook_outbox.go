package storage

import (
	"context"
	"slices"
	"strings"
	"time"

	"carebridge/internal/webhook"
)

// PublishEvents reads each operator's endpoints once, and writes an event
// and its deliveries only for the endpoints taking its type.
func (t NetflixTx) PublishEvents(ctx context.Context, events []webhook.Event) error {
	takers := map[int64][]endpointTypes{}
	for _, ev := range events {
		eps, read := takers[ev.OperatorID]
		if !read {
			var err error
			if eps, err = collect(ctx, t.Tx, endpointsTakingSQL, []endpointTypes{}, scanEndpointTypes, ev.OperatorID); err != nil {
				return err
			}
			takers[ev.OperatorID] = eps
		}
		var eventID int64
		for _, ep := range eps {
			if !slices.Contains(ep.types, string(ev.Type)) {
				continue
			}
			if eventID == 0 {
				err := t.Tx.QueryRow(ctx, insertOutboxEventSQL,
					ev.OperatorID, ev.Type, ev.Customer, string(ev.Data), Unix(ev.CreatedAt)).Scan(&eventID)
				if err != nil {
					return err
				}
			}
			if _, err := t.Tx.Exec(ctx, insertDeliverySQL, eventID, ep.id, ev.Customer,
				Unix(ev.CreatedAt), Unix(ev.CreatedAt.Add(webhook.MaxAge)), Unix(ev.CreatedAt)); err != nil {
				return err
			}
		}
	}
	return nil
}

// endpointTypes is an endpoint's id and the event types it takes.
type endpointTypes struct {
	id    int64
	types []string
}

func scanEndpointTypes(row Scanner) (endpointTypes, error) {
	var e endpointTypes
	var list string
	err := row.Scan(&e.id, &list)
	e.types = strings.Split(list, ",")
	return e, err
}

// Deliveries is the queue of webhook deliveries (webhook.Store) on either
// engine.
type Deliveries struct{ DB DB }

// ClaimDeliveries claims and reads in one transaction, so that a claim is
// never taken without its attempt being handed out.
func (s Deliveries) ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]webhook.Attempt, error) {
	var out []webhook.Attempt
	err := s.DB.Write(ctx, func(q Querier) error {
		out = nil
		ids, err := collect(ctx, q, claimDeliveriesSQL, nil, ScanID, Unix(until), Unix(now), limit)
		if err != nil {
			return err
		}
		slices.Sort(ids)
		for _, id := range ids {
			a, err := scanAttempt(q.QueryRow(ctx, claimedAttemptSQL, id))
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func scanAttempt(row Scanner) (webhook.Attempt, error) {
	var a webhook.Attempt
	var retryUntil, created int64
	var data string
	err := row.Scan(&a.Delivery, &a.Number, &retryUntil, &a.Event.ID, &a.Event.OperatorID, &a.Event.Type,
		&a.Event.Customer, &data, &created, &a.EndpointID, &a.URL, &a.Secret)
	a.RetryUntil, a.Event.CreatedAt, a.Event.Data = FromUnix(retryUntil), FromUnix(created), []byte(data)
	return a, err
}

func (s Deliveries) RecordAttempt(ctx context.Context, o webhook.Outcome) (bool, error) {
	var ended *int64
	if o.State != webhook.Pending {
		ended = NullUnix(o.At)
	}
	n, err := s.DB.Exec(ctx, recordAttemptSQL, o.State, Unix(o.NextAttemptAt), NullID(int64(o.Status)),
		NullString(o.Error), ended, o.Delivery, o.Number)
	return n == 1, err
}

func (s Deliveries) PurgeDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.DB.Write(ctx, func(q Querier) error {
		var err error
		if n, err = q.Exec(ctx, purgeDeliveriesSQL, Unix(before)); err != nil {
			return err
		}
		_, err = q.Exec(ctx, purgeEventsSQL, Unix(before))
		return err
	})
	return n, err
}
