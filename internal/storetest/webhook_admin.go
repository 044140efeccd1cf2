package storetest

import (
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/storage"
	"carebridge/internal/webhook"
)

// testWebhookAdmin: an operator sees, deletes and redelivers only what
// is its own; endpoints are listed by id with their event types, never
// their secrets; deliveries newest first, the failed ones alone when
// asked, at most the limit; a redelivery is due now and retried for
// MaxAge from now, its attempts still counted; deleting an endpoint
// deletes its deliveries.
func testWebhookAdmin(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Tenancy, tn.ctx
	db := tn.stores.SQL(t)
	other := ok(s.CreateOrganisation(ctx, "globex", base)).must(t)
	foreign := ok(s.CreateOperator(ctx, carebridge.Operator{OrganisationID: other.ID, Name: "op1", CreatedAt: base})).must(t)

	create := func(opID int64, url string, events ...webhook.EventType) webhook.Endpoint {
		t.Helper()
		e := webhook.Endpoint{OperatorID: opID, URL: url, Events: events, CreatedAt: base.Add(time.Second / 2)}
		got := ok(s.CreateEndpoint(ctx, e, "whsec_"+url)).must(t)
		if got.ID == 0 || got.OperatorID != opID || got.URL != url || !slices.Equal(got.Events, events) || !got.CreatedAt.Equal(base) {
			t.Fatalf("CreateEndpoint = %+v", got)
		}
		return got
	}
	e1 := create(tn.op.ID, "https://erp.example.com/hooks", webhook.ChargeSettled, webhook.ChargeCreated)
	e2 := create(tn.op.ID, "http://10.0.0.7:8080/in", webhook.SubscriptionChanged)
	e3 := create(tn.op2.ID, "https://op2.example.com/hooks", webhook.EventTypes...)
	e4 := create(foreign.ID, "https://globex.example.com/hooks", webhook.ChargeSettled)

	for name, e := range map[string]webhook.Endpoint{
		"no events":   {OperatorID: tn.op.ID, URL: "https://example.com/"},
		"bad event":   {OperatorID: tn.op.ID, URL: "https://example.com/", Events: []webhook.EventType{"charge.refunded"}},
		"event twice": {OperatorID: tn.op.ID, URL: "https://example.com/", Events: []webhook.EventType{webhook.ChargeSettled, webhook.ChargeSettled}},
		"bad URL":     {OperatorID: tn.op.ID, URL: "ftp://example.com/", Events: webhook.EventTypes},
	} {
		if _, err := s.CreateEndpoint(ctx, e, "whsec_x"); carebridge.ErrorCode(err) != carebridge.EINVALID {
			t.Errorf("CreateEndpoint, %s: %v, want EINVALID", name, err)
		}
	}

	// Each operator lists its own, by id; the secret is stored as given.
	endpoints := func(opID int64) []webhook.Endpoint {
		t.Helper()
		return ok(s.Endpoints(ctx, opID)).must(t)
	}
	if got := endpoints(tn.op.ID); len(got) != 2 || !sameEndpoint(got[0], e1) || !sameEndpoint(got[1], e2) {
		t.Fatalf("Endpoints(op1) = %+v", got)
	}
	if got := endpoints(tn.op2.ID); len(got) != 1 || !sameEndpoint(got[0], e3) {
		t.Fatalf("Endpoints(op2) = %+v", got)
	}
	if got := endpoints(foreign.ID); len(got) != 1 || !sameEndpoint(got[0], e4) {
		t.Fatalf("Endpoints(globex op1) = %+v", got)
	}
	if got := endpoints(foreign.ID + 1000); got == nil || len(got) != 0 {
		t.Fatalf("Endpoints(nobody) = %#v", got)
	}
	var secret string
	if err := db.QueryRow(fmt.Sprintf(`SELECT secret FROM webhook_endpoints WHERE id = %d`, e1.ID)).Scan(&secret); err != nil || secret != "whsec_"+e1.URL {
		t.Fatalf("stored secret %q, %v", secret, err)
	}

	// An operator deletes only its own endpoints.
	wantCode(t, s.DeleteEndpoint(ctx, tn.op2.ID, e1.ID), carebridge.ENOTFOUND)
	wantCode(t, s.DeleteEndpoint(ctx, foreign.ID, e1.ID), carebridge.ENOTFOUND)
	wantCode(t, s.DeleteEndpoint(ctx, tn.op.ID, e3.ID+1000), carebridge.ENOTFOUND)
	if got := endpoints(tn.op.ID); len(got) != 2 {
		t.Fatalf("after refused deletes, Endpoints(op1) = %+v", got)
	}

	// Deliveries, as the outbox and the deliverer leave them.
	ev1 := insertWebhookEvent(t, db, tn.op.ID, webhook.ChargeSettled, "pci150", base)
	ev2 := insertWebhookEvent(t, db, tn.op.ID, webhook.ChargeCreated, "pci151", base.Add(time.Minute))
	ev3 := insertWebhookEvent(t, db, tn.op2.ID, webhook.ChargeCreated, "pci150", base.Add(time.Minute))
	ev4 := insertWebhookEvent(t, db, foreign.ID, webhook.ChargeSettled, "g1", base.Add(time.Minute))
	day := base.Add(webhook.MaxAge)
	d1 := insertWebhookDelivery(t, db, ev1, e1.ID, "pci150", `'pending', 2, `+unix(base.Add(10*time.Minute))+`, `+unix(day)+`, `+unix(base.Add(11*time.Minute))+`, 503, 'HTTP 503', `+unix(base)+`, NULL`)
	d2 := insertWebhookDelivery(t, db, ev2, e1.ID, "pci151", `'failed', 17, `+unix(day)+`, `+unix(day)+`, NULL, NULL, 'connection refused', `+unix(base.Add(time.Minute))+`, `+unix(day.Add(time.Second))+``)
	d3 := insertWebhookDelivery(t, db, ev1, e2.ID, "pci150", `'delivered', 1, `+unix(base)+`, `+unix(day)+`, NULL, 204, NULL, `+unix(base)+`, `+unix(base.Add(time.Second))+``)
	d4 := insertWebhookDelivery(t, db, ev3, e3.ID, "pci150", `'failed', 3, `+unix(day)+`, `+unix(day)+`, NULL, 500, 'HTTP 500', `+unix(base)+`, `+unix(day)+``)
	d5 := insertWebhookDelivery(t, db, ev4, e4.ID, "g1", `'failed', 3, `+unix(day)+`, `+unix(day)+`, NULL, 500, 'HTTP 500', `+unix(base)+`, `+unix(day)+``)

	deliveries := func(opID int64, failedOnly bool, limit int) []int64 {
		t.Helper()
		var ids []int64
		for _, d := range ok(s.Deliveries(ctx, opID, failedOnly, limit)).must(t) {
			ids = append(ids, d.ID)
		}
		return ids
	}
	for _, c := range []struct {
		name       string
		opID       int64
		failedOnly bool
		limit      int
		want       []int64
	}{
		{"op1", tn.op.ID, false, 50, []int64{d3, d2, d1}},
		{"op1, limit 2", tn.op.ID, false, 2, []int64{d3, d2}},
		{"op1, failed", tn.op.ID, true, 50, []int64{d2}},
		{"op2", tn.op2.ID, false, 50, []int64{d4}},
		{"op2, failed", tn.op2.ID, true, 50, []int64{d4}},
		{"globex", foreign.ID, false, 50, []int64{d5}},
		{"nobody", foreign.ID + 1000, false, 50, nil},
	} {
		if got := deliveries(c.opID, c.failedOnly, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("Deliveries, %s = %v, want %v", c.name, got, c.want)
		}
	}
	list := ok(s.Deliveries(ctx, tn.op.ID, false, 50)).must(t)
	wantD2 := webhook.Delivery{ID: d2, EventID: ev2, EndpointID: e1.ID, OperatorID: tn.op.ID, Type: webhook.ChargeCreated,
		Customer: "pci151", URL: e1.URL, State: webhook.Failed, Attempts: 17, NextAttemptAt: day, RetryUntil: day,
		LastError: "connection refused", CreatedAt: base.Add(time.Minute), EndedAt: day.Add(time.Second)}
	if !sameDelivery(list[1], wantD2) {
		t.Errorf("failed delivery\n got %+v\nwant %+v", list[1], wantD2)
	}
	wantD1 := webhook.Delivery{ID: d1, EventID: ev1, EndpointID: e1.ID, OperatorID: tn.op.ID, Type: webhook.ChargeSettled,
		Customer: "pci150", URL: e1.URL, State: webhook.Pending, Attempts: 2, NextAttemptAt: base.Add(10 * time.Minute),
		RetryUntil: day, LastStatus: 503, LastError: "HTTP 503", CreatedAt: base}
	if !sameDelivery(list[2], wantD1) {
		t.Errorf("pending delivery\n got %+v\nwant %+v", list[2], wantD1)
	}
	if list[0].State != webhook.Delivered || list[0].LastStatus != 204 || list[0].LastError != "" || !list[0].EndedAt.Equal(base.Add(time.Second)) {
		t.Errorf("delivered delivery %+v", list[0])
	}

	// Redelivering: due now, retried for MaxAge from now, unclaimed,
	// attempts and the last outcome kept.
	now := base.Add(3 * 24 * time.Hour)
	got := ok(s.Redeliver(ctx, d2, now.Add(time.Second/2))).must(t)
	wantD2.State, wantD2.NextAttemptAt, wantD2.RetryUntil, wantD2.EndedAt = webhook.Pending, now, now.Add(webhook.MaxAge), time.Time{}
	if !sameDelivery(got, wantD2) {
		t.Errorf("Redeliver\n got %+v\nwant %+v", got, wantD2)
	}
	got = ok(s.Redeliver(ctx, d1, now)).must(t)
	var claimed sql.NullInt64
	if err := db.QueryRow(fmt.Sprintf(`SELECT claimed_until FROM netflix_webhook_deliveries WHERE id = %d`, d1)).Scan(&claimed); err != nil || claimed.Valid {
		t.Errorf("claimed_until after Redeliver = %v, %v; want NULL", claimed, err)
	}
	if got.Attempts != 2 || got.State != webhook.Pending || !got.NextAttemptAt.Equal(now) {
		t.Errorf("Redeliver of a pending delivery = %+v", got)
	}
	_, err := s.Redeliver(ctx, d5+1000, now)
	wantCode(t, err, carebridge.ENOTFOUND)
	if ids := deliveries(tn.op.ID, true, 50); len(ids) != 0 {
		t.Errorf("failed after redelivery: %v", ids)
	}

	// Scoped to an operator, only its own.
	_, err = s.RedeliverOf(ctx, tn.op2.ID, d3, now)
	wantCode(t, err, carebridge.ENOTFOUND)
	_, err = s.RedeliverOf(ctx, foreign.ID, d4, now)
	wantCode(t, err, carebridge.ENOTFOUND)
	if got := ok(s.Deliveries(ctx, tn.op.ID, false, 1)).must(t); got[0].State != webhook.Delivered {
		t.Errorf("a refused RedeliverOf changed %+v", got[0])
	}
	got = ok(s.RedeliverOf(ctx, tn.op2.ID, d4, now)).must(t)
	if got.ID != d4 || got.State != webhook.Pending || got.OperatorID != tn.op2.ID || got.Attempts != 3 || !got.RetryUntil.Equal(now.Add(webhook.MaxAge)) {
		t.Errorf("RedeliverOf = %+v", got)
	}

	// Deleting an endpoint deletes its deliveries, and nobody else's.
	if err := s.DeleteEndpoint(ctx, tn.op.ID, e1.ID); err != nil {
		t.Fatal(err)
	}
	if got := endpoints(tn.op.ID); len(got) != 1 || got[0].ID != e2.ID {
		t.Fatalf("after delete, Endpoints(op1) = %+v", got)
	}
	if ids := deliveries(tn.op.ID, false, 50); !slices.Equal(ids, []int64{d3}) {
		t.Errorf("after delete, Deliveries(op1) = %v", ids)
	}
	var n int
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM netflix_webhook_deliveries WHERE endpoint_id = %d`, e1.ID)).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d deliveries of the deleted endpoint remain (%v)", n, err)
	}
	if ids := deliveries(tn.op2.ID, false, 50); !slices.Equal(ids, []int64{d4}) {
		t.Errorf("after delete, Deliveries(op2) = %v", ids)
	}
	wantCode(t, s.DeleteEndpoint(ctx, tn.op.ID, e1.ID), carebridge.ENOTFOUND)
}

func unix(t time.Time) string { return fmt.Sprint(storage.Unix(t)) }

// insertWebhookEvent adds an event to the outbox, in literals, which
// both engines read alike.
func insertWebhookEvent(t *testing.T, db *sql.DB, operatorID int64, typ webhook.EventType, customer string, at time.Time) (id int64) {
	t.Helper()
	q := fmt.Sprintf(`INSERT INTO netflix_webhook_events (operator_id, type, customer, data, created_at)
		VALUES (%d, '%s', '%s', '{}', %s) RETURNING id`, operatorID, typ, customer, unix(at))
	if err := db.QueryRow(q).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// insertWebhookDelivery adds a delivery; rest is the literals of its
// columns from state to ended_at.
func insertWebhookDelivery(t *testing.T, db *sql.DB, eventID, endpointID int64, customer, rest string) (id int64) {
	t.Helper()
	q := fmt.Sprintf(`INSERT INTO netflix_webhook_deliveries (event_id, endpoint_id, customer,
			state, attempts, next_attempt_at, retry_until, claimed_until, last_status, last_error, created_at, ended_at)
		VALUES (%d, %d, '%s', %s) RETURNING id`, eventID, endpointID, customer, rest)
	if err := db.QueryRow(q).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func sameEndpoint(a, b webhook.Endpoint) bool {
	return a.ID == b.ID && a.OperatorID == b.OperatorID && a.URL == b.URL && slices.Equal(a.Events, b.Events) && a.CreatedAt.Equal(b.CreatedAt)
}

func sameDelivery(a, b webhook.Delivery) bool {
	return a.ID == b.ID && a.EventID == b.EventID && a.EndpointID == b.EndpointID && a.OperatorID == b.OperatorID &&
		a.Type == b.Type && a.Customer == b.Customer && a.URL == b.URL && a.State == b.State && a.Attempts == b.Attempts &&
		a.NextAttemptAt.Equal(b.NextAttemptAt) && a.RetryUntil.Equal(b.RetryUntil) && a.LastStatus == b.LastStatus &&
		a.LastError == b.LastError && a.CreatedAt.Equal(b.CreatedAt) && a.EndedAt.Equal(b.EndedAt)
}
