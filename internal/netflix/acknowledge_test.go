package netflix_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

var (
	ackAt  = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)
	ackBy  = carebridge.Caller{UserID: 7, Username: "alice", OperatorID: 1}
	eur599 = money.Amount{Minor: 599, Currency: "EUR"}
)

// withCharges is a memory engine holding charges of operator 1 for
// customer c1, numbered 1…n, in the statuses given.
func withCharges(statuses ...netflix.ChargeStatus) *memory {
	m := newMemory()
	for i, s := range statuses {
		id := int64(i + 1)
		m.data.charges[id] = netflix.Charge{ID: id, OperatorID: 1, Customer: "c1", Amount: eur599, Status: s}
		m.data.unacked[id] = true
	}
	return m
}

func acknowledge(t *testing.T, m *memory, acks ...netflix.Ack) []netflix.AckFailure {
	t.Helper()
	failed, err := netflix.NewRecords(m).AcknowledgeCharges(context.Background(), 1, acks, ackBy, ackAt)
	if err != nil {
		t.Fatal(err)
	}
	return failed
}

func ack(id int64, customer, ref string) netflix.Ack {
	return netflix.Ack{Number: netflix.ChargeNumber(id), Customer: customer, ReferenceNumber: ref}
}

func codes(fs []netflix.AckFailure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Number+":"+f.Code)
	}
	return out
}

func TestAcknowledgeFailures(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Approved, netflix.Approved, netflix.Approved)
	m.data.charges[3] = netflix.Charge{ID: 3, OperatorID: 2, Customer: "c1", Status: netflix.Approved} // another operator's
	failed := acknowledge(t, m,
		ack(1, "c1", "R1"),
		ack(2, "other", ""),                          // not the charge's customer
		ack(3, "c1", ""),                             // another operator's charge
		netflix.Ack{Number: "I0001", Customer: "c1"}, // not a number this server prints
		ack(99, "c1", ""),                            // no such charge
		ack(2, "c1", "R1"),                           // R1 is charge 1's
	)
	want := []string{"I00000002:1", "I00000003:2", "I0001:2", "I00000099:2", "I00000002:3"}
	if got := codes(failed); !slices.Equal(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	if m.data.unacked[1] || !m.data.unacked[2] || !m.data.unacked[3] {
		t.Errorf("unacknowledged after the call: %v; want only charge 1 acknowledged", m.data.unacked)
	}
	if a := m.data.acks[ackKey{1, netflix.Approved}]; a.ReferenceNumber != "R1" || a.ActorUserID != ackBy.UserID || !a.At.Equal(ackAt) {
		t.Errorf("charge 1's acknowledgement %+v", a)
	}
}

// A repeat succeeds and stores nothing more; the reference it repeats is
// the charge's own.
func TestAcknowledgeRepeatIsANoOp(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Approved)
	acknowledge(t, m, ack(1, "c1", "R1"))
	if failed := acknowledge(t, m, ack(1, "c1", "R1"), ack(1, "c1", "R2")); failed != nil {
		t.Fatalf("repeats failed: %v", failed)
	}
	if len(m.data.acks) != 1 || len(m.data.refs) != 1 {
		t.Errorf("after repeats: %d acknowledgements, %d references; want 1 and 1", len(m.data.acks), len(m.data.refs))
	}
}

// A charge charges/list showed as PENDING and that was settled before the
// operator acknowledged it: the acknowledgement covers the PENDING the
// operator saw, and the settled status stays to be acknowledged; the next
// one covers it.
func TestAcknowledgeCoversThePendingTheOperatorSaw(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Declined)
	m.data.listed[1] = true
	acknowledge(t, m, ack(1, "c1", ""))
	if _, ok := m.data.acks[ackKey{1, netflix.Pending}]; !ok || len(m.data.acks) != 1 {
		t.Fatalf("first acknowledgement stored %v, want PENDING's alone", m.data.acks)
	}
	if !m.data.unacked[1] {
		t.Fatal("the DECLINED status counts as acknowledged before anyone acknowledged it")
	}
	acknowledge(t, m, ack(1, "c1", ""))
	if _, ok := m.data.acks[ackKey{1, netflix.Declined}]; !ok || m.data.unacked[1] {
		t.Errorf("second acknowledgement: %v, unacknowledged %v; want DECLINED acknowledged", m.data.acks, m.data.unacked[1])
	}
}

// A charge never listed while PENDING is acknowledged in its settled
// status at once.
func TestAcknowledgeCoversTheCurrentStatus(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Approved, netflix.Pending)
	acknowledge(t, m, ack(1, "c1", ""), ack(2, "c1", ""))
	for id, s := range map[int64]netflix.ChargeStatus{1: netflix.Approved, 2: netflix.Pending} {
		if _, ok := m.data.acks[ackKey{id, s}]; !ok || m.data.unacked[id] {
			t.Errorf("charge %d: %s not acknowledged (%v)", id, s, m.data.acks)
		}
	}
}

// One failure of the engine undoes the whole call, the items acknowledged
// before it included, and locks come first.
func TestAcknowledgeIsAllOrNothing(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Approved, netflix.Approved)
	var order []string
	broken := errors.New("disk full")
	m.fail = func(p string) error {
		order = append(order, p)
		if p == "InsertAcknowledgement" && len(m.data.acks) == 1 {
			return broken
		}
		return nil
	}
	_, err := netflix.NewRecords(m).AcknowledgeCharges(context.Background(), 1, []netflix.Ack{ack(1, "c1", "R1"), ack(2, "c1", "")}, ackBy, ackAt)
	if !errors.Is(err, broken) {
		t.Fatalf("error %v, want the engine's", err)
	}
	if len(m.data.acks) != 0 || len(m.data.refs) != 0 || !m.data.unacked[1] {
		t.Errorf("after a failed call: acknowledgements %v, references %v, charge 1 unacknowledged %v; want nothing kept",
			m.data.acks, m.data.refs, m.data.unacked[1])
	}
	if order[0] != "LockCharges" {
		t.Errorf("first primitive %s, want LockCharges before anything is read", order[0])
	}
}
