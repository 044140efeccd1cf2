package storage

import (
	"context"
	"strings"
	"time"

	"carebridge/internal/webhook"
)

// ScanWebhookEndpoint reads webhookEndpointColumns; the events are stored
// as their comma-separated list.
func ScanWebhookEndpoint(row Scanner) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var events string
	var created int64
	err := row.Scan(&e.ID, &e.OperatorID, &e.URL, &events, &created)
	e.CreatedAt = FromUnix(created)
	for _, t := range strings.Split(events, ",") {
		if t != "" {
			e.Events = append(e.Events, webhook.EventType(t))
		}
	}
	return e, err
}

// ScanWebhookDelivery reads a row of webhookDeliveriesFrom.
func ScanWebhookDelivery(row Scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var typ, state string
	var next, until, created int64
	var status, ended nullInt
	var lastError nullString
	err := row.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.OperatorID, &typ, &d.Customer, &d.URL,
		&state, &d.Attempts, &next, &until, &status, &lastError, &created, &ended)
	d.Type, d.State = webhook.EventType(typ), webhook.DeliveryState(state)
	d.NextAttemptAt, d.RetryUntil, d.CreatedAt, d.EndedAt = FromUnix(next), FromUnix(until), FromUnix(created), ended.time()
	d.LastStatus, d.LastError = int(status.n), lastError.s
	return d, err
}

// CreateEndpoint stores an endpoint, which must be valid
// (webhook.ValidateEndpoint), with its signing secret.
func (s *Tenancy) CreateEndpoint(ctx context.Context, e webhook.Endpoint, secret string) (webhook.Endpoint, error) {
	if err := webhook.ValidateEndpoint(e); err != nil {
		return e, err
	}
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Second)
	var err error
	e.ID, err = s.db.InsertID(ctx, insertWebhookEndpointSQL, e.OperatorID, e.URL, secret, webhook.FormatEventTypes(e.Events), Unix(e.CreatedAt))
	return e, err
}

// Endpoints lists the operator's endpoints by id, never their secrets.
func (s *Tenancy) Endpoints(ctx context.Context, operatorID int64) ([]webhook.Endpoint, error) {
	return collect(ctx, s.db, webhookEndpointsSQL, []webhook.Endpoint{}, ScanWebhookEndpoint, operatorID)
}

// DeleteEndpoint deletes one of the operator's endpoints; its deliveries
// go with it (the foreign key cascades).
func (s *Tenancy) DeleteEndpoint(ctx context.Context, operatorID, id int64) error {
	n, err := s.db.Exec(ctx, deleteWebhookEndpointSQL, operatorID, id)
	return rowChanged(n, err, "The operator has no webhook endpoint %d.", id)
}

// Deliveries lists the deliveries of the operator's endpoints, newest
// first.
func (s *Tenancy) Deliveries(ctx context.Context, operatorID int64, failedOnly bool, limit int) ([]webhook.Delivery, error) {
	q := webhookDeliveriesSQL
	if failedOnly {
		q = failedWebhookDeliveriesSQL
	}
	return collect(ctx, s.db, q, []webhook.Delivery{}, ScanWebhookDelivery, operatorID, limit)
}

// Redeliver makes a delivery pending again and returns it, in one
// transaction.
func (s *Tenancy) Redeliver(ctx context.Context, id int64, now time.Time) (webhook.Delivery, error) {
	return s.redeliver(ctx, redeliverWebhookSQL, id, now, "No webhook delivery has id %d.")
}

// RedeliverOf is Redeliver for a delivery to one of the operator's
// endpoints; ENOTFOUND when the operator has none of that id.
func (s *Tenancy) RedeliverOf(ctx context.Context, operatorID, id int64, now time.Time) (webhook.Delivery, error) {
	return s.redeliver(ctx, redeliverOperatorWebhookSQL, id, now, "The operator has no webhook delivery %d.", operatorID)
}

func (s *Tenancy) redeliver(ctx context.Context, q SQL, id int64, now time.Time, notFound string, scope ...any) (webhook.Delivery, error) {
	var d webhook.Delivery
	err := s.db.Write(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, q, append([]any{Unix(now), Unix(now.Add(webhook.MaxAge)), id}, scope...)...)
		if err := rowChanged(n, err, notFound, id); err != nil {
			return err
		}
		d, err = ScanWebhookDelivery(tx.QueryRow(ctx, webhookDeliverySQL, id))
		return err
	})
	return d, err
}
