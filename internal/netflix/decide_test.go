package netflix_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

func decideService(m *memory, rec *recorder) *netflix.Service {
	return &netflix.Service{Store: netflix.NewRecords(m), Now: func() time.Time { return settleAt }, Notifier: rec}
}

var decider = carebridge.Caller{UserID: 7, Username: "alice", OperatorID: 1, OrganisationID: 1}

// Accepting settles APPROVED with the customer's price; declining settles
// DECLINED and ends the subscription in the caller's name; each is told
// to the Notifier after the commit.
func TestAcceptAndDecline(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	rec := &recorder{m: m}
	svc := decideService(m, rec)
	ctx := context.Background()
	failed, err := svc.AcceptCharges(ctx, decider, []netflix.Decision{{Number: "I00000001", Customer: "effective", ReferenceNumber: "R1"}})
	if err != nil || len(failed) != 0 {
		t.Fatalf("accept: %+v, %v", failed, err)
	}
	failed, err = svc.DeclineCharges(ctx, decider, []netflix.Decision{{Number: "I00000002", Customer: "suspended"}})
	if err != nil || len(failed) != 0 {
		t.Fatalf("decline: %+v, %v", failed, err)
	}
	rec.check(t)
	if m.data.charges[1].Status != netflix.Approved || m.data.charges[2].Status != netflix.Declined || !m.data.unacked[1] || !m.data.unacked[2] {
		t.Fatalf("statuses %s %s", m.data.charges[1].Status, m.data.charges[2].Status)
	}
	if m.data.refs[refKey{1, "R1"}] != 1 {
		t.Errorf("reference numbers %v", m.data.refs)
	}
	if len(m.data.prices) != 1 || m.data.prices[priceKey{1, "effective", eur599}] != 1 {
		t.Errorf("prices %v", m.data.prices)
	}
	if len(m.data.chEvents) != 2 || m.data.chEvents[0].Actor != "alice" || m.data.chEvents[1].To != netflix.Declined || !m.data.chEvents[1].At.Equal(settleAt) {
		t.Errorf("charge events %+v", m.data.chEvents)
	}
	if s := m.data.subs[12]; s.LifeCycleState != netflix.Cancelled {
		t.Errorf("subscription after decline: %s", s.LifeCycleState)
	}
	if len(m.data.events) != 1 || m.data.events[0].ActorUsername != "alice" || m.data.events[0].ActorUserID != 7 ||
		m.data.events[0].Reason != "Charge I00000002 declined." || m.data.events[0].Action != netflix.ActionCancel {
		t.Errorf("subscription events %+v", m.data.events)
	}
	if len(rec.charges) != 2 || rec.charges[0].Status != netflix.Approved || rec.charges[1].Status != netflix.Declined {
		t.Errorf("charges told %+v", rec.charges)
	}
	if len(rec.subs) != 1 || rec.subs[0].LifeCycleState != netflix.Cancelled || rec.subs[0].Actor != "alice" || rec.subs[0].Reason != "Charge I00000002 declined." {
		t.Errorf("subscriptions told %+v", rec.subs)
	}
	// Published as settlements, with the charge as the partner reported it.
	if p := m.data.published; len(p) != 3 {
		t.Fatalf("published %+v, want the two settlements and the cancel", p)
	}
	wantData(t, m.data.published[0], map[string]any{
		"number": "I00000001", "billing_system_customer_identifier": "effective", "partner_charge_id": "nf-effective",
		"status": "APPROVED", "amount": 5.99, "currency": "EUR", "received_on": "2017-01-31T12:00:00Z",
		"settled_at": "2017-02-02T00:00:00Z", "actor": "alice",
	})
}

// The failure codes: 1 another customer's, 2 unknown, 3 a reference
// number in use, 4 no longer PENDING; the other items succeed.
func TestDecisionFailures(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	m.data.refs[refKey{1, "USED"}] = 3
	m.data.charges[4] = netflix.Charge{ID: 4, OperatorID: 1, Customer: "none", Amount: eur599, Status: netflix.Rejected}
	m.data.charges[5] = netflix.Charge{ID: 5, OperatorID: 2, Customer: "effective", Amount: eur599, Status: netflix.Pending}
	rec := &recorder{m: m}
	failed, err := decideService(m, rec).AcceptCharges(context.Background(), decider, []netflix.Decision{
		{Number: "I00000001", Customer: "suspended"},
		{Number: "I00000009", Customer: "effective"},
		{Number: "I00000005", Customer: "effective"},
		{Number: "nonsense", Customer: "effective"},
		{Number: "I00000001", Customer: "effective", ReferenceNumber: "USED"},
		{Number: "I00000004", Customer: "none"},
		{Number: "I00000003", Customer: "cancelled", ReferenceNumber: "USED"}, // the holder may use its own
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []netflix.AckFailure{
		{Number: "I00000001", Code: netflix.AckWrongCustomer},
		{Number: "I00000009", Code: netflix.AckNotFound},
		{Number: "I00000005", Code: netflix.AckNotFound},
		{Number: "nonsense", Code: netflix.AckNotFound},
		{Number: "I00000001", ReferenceNumber: "USED", Code: netflix.AckReferenceInUse},
		{Number: "I00000004", Code: netflix.AckNoLongerPending},
	}
	if fmt.Sprint(failed) != fmt.Sprint(want) {
		t.Fatalf("failures %+v, want %+v", failed, want)
	}
	if m.data.charges[3].Status != netflix.Approved || m.data.charges[1].Status != netflix.Pending || m.data.charges[5].Status != netflix.Pending {
		t.Fatalf("statuses %v", m.data.charges)
	}
	if len(rec.charges) != 1 || rec.charges[0].Number != "I00000003" {
		t.Fatalf("told %+v", rec.charges)
	}
	for code := range map[string]bool{"1": true, "2": true, "3": true, "4": true} {
		if netflix.DecisionDescriptions[code] == "" {
			t.Errorf("code %s has no description", code)
		}
	}
}

// A request is checked before the store; a failing engine undoes every
// item and tells nobody.
func TestDecisionRefusals(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	rec := &recorder{m: m}
	svc := decideService(m, rec)
	ctx := context.Background()
	many := make([]netflix.Decision, netflix.MaxAcksPerCall+1)
	for i := range many {
		many[i] = netflix.Decision{Number: "I00000001", Customer: "effective"}
	}
	for _, c := range []struct {
		ds   []netflix.Decision
		code string
		word string
	}{
		{nil, carebridge.EMISSING, "declined_charges_set"},
		{many, carebridge.EINVALID, "at most 50"},
		{[]netflix.Decision{{Number: "I00000001"}}, carebridge.EMISSING, "declined_charges_set[0].billing_system_customer_identifier"},
		{[]netflix.Decision{{Customer: "x"}}, carebridge.EMISSING, "declined_charges_set[0].number"},
	} {
		_, err := svc.DeclineCharges(ctx, decider, c.ds)
		if carebridge.ErrorCode(err) != c.code || !strings.Contains(carebridge.ErrorMessage(err), c.word) {
			t.Errorf("%d items: %v, want %s naming %s", len(c.ds), err, c.code, c.word)
		}
	}
	m.fail = func(p string) error {
		if p == "SetSubscriptionState" {
			return errors.New("connection lost")
		}
		return nil
	}
	if _, err := svc.DeclineCharges(ctx, decider, []netflix.Decision{{Number: "I00000001", Customer: "effective"}, {Number: "I00000002", Customer: "suspended"}}); err == nil {
		t.Fatal("a failing engine answered no error")
	}
	if m.data.charges[1].Status != netflix.Pending || len(m.data.chEvents) != 0 || len(rec.charges)+len(rec.subs) != 0 {
		t.Fatalf("a failed decision left %v, %+v, told %+v %+v", m.data.charges[1].Status, m.data.chEvents, rec.charges, rec.subs)
	}
	if _, _, err := netflix.NewRecords(m).DecideCharges(ctx, 1, []netflix.Decision{{Number: "I00000001", Customer: "effective"}}, netflix.Rejected, decider, settleAt); carebridge.ErrorCode(err) != carebridge.EINTERNAL {
		t.Fatalf("deciding REJECTED: %v", err)
	}
}

// The claim passes its time on: an operator deciding its charges keeps
// them from the processor until its deadline.
func TestProcessorLeavesTheOperatorsCharges(t *testing.T) {
	t.Parallel()
	m := settleWorld()
	m.deciding = map[int64]time.Duration{1: time.Hour}
	for id := range m.data.charges {
		m.data.created[id] = settleAt
	}
	if settled, err := netflix.NewRecords(m).SettleCharges(context.Background(), 10, settleAt.Add(time.Hour-time.Second), netflix.Settlement); err != nil || len(settled) != 0 {
		t.Fatalf("settled %+v, %v before the deadline", settled, err)
	}
	if settled, err := netflix.NewRecords(m).SettleCharges(context.Background(), 10, settleAt.Add(time.Hour), netflix.Settlement); err != nil || len(settled) != 4 {
		t.Fatalf("settled %d, %v at the deadline; want 4", len(settled), err)
	}
}

func TestValidateChargeDecision(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d        netflix.ChargeDecision
		deadline time.Duration
		ok       bool
	}{
		{netflix.DecisionAuto, netflix.DefaultDecisionDeadline, true},
		{netflix.DecisionOperator, time.Minute, true},
		{netflix.DecisionOperator, 720 * time.Hour, true},
		{netflix.DecisionOperator, 59 * time.Second, false},
		{netflix.DecisionOperator, 720*time.Hour + time.Second, false},
		{netflix.DecisionOperator, time.Minute + time.Millisecond, false},
		{"manual", time.Hour, false},
	} {
		if err := netflix.ValidateChargeDecision(c.d, c.deadline); (err == nil) != c.ok || (err != nil && carebridge.ErrorCode(err) != carebridge.EINVALID) {
			t.Errorf("%s %s: %v", c.d, c.deadline, err)
		}
	}
}
