package netflix_test

import (
	"context"
	"errors"
	"testing"

	"carebridge/internal/netflix"
)

func list(t *testing.T, m *memory, req netflix.ListRequest) []int64 {
	t.Helper()
	charges, err := netflix.NewRecords(m).UnacknowledgedCharges(context.Background(), 1, req)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, c := range charges {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestListingMarksThePendingShown(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Pending, netflix.Approved, netflix.Pending, netflix.Pending)

	// A page of the PENDING: those shown are marked, the one beyond it not.
	if got := list(t, m, netflix.ListRequest{Limit: 2}); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("listed %v, want [1 3]", got)
	}
	if !m.data.listed[1] || !m.data.listed[3] || m.data.listed[4] {
		t.Fatalf("listed_pending %v, want 1 and 3 only", m.data.listed)
	}
	// The settled ones are shown, never marked.
	if got := list(t, m, netflix.ListRequest{Processed: true, Limit: 50}); len(got) != 1 || got[0] != 2 {
		t.Fatalf("processed %v, want [2]", got)
	}
	if m.data.listed[2] {
		t.Fatal("a settled charge was marked as listed PENDING")
	}
}

func TestListingWritesOnlyWhatIsNew(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Pending, netflix.Approved)
	m.data.listed[1] = true
	if got := list(t, m, netflix.ListRequest{Limit: 50}); len(got) != 1 {
		t.Fatalf("listed %v", got)
	}
	list(t, m, netflix.ListRequest{Processed: true, Limit: 50})
	if m.txs != 0 {
		t.Fatalf("%d transactions for listings that showed nothing new as PENDING", m.txs)
	}
	// An empty listing answers an empty list, not none.
	charges, err := netflix.NewRecords(m).UnacknowledgedCharges(context.Background(), 1, netflix.ListRequest{Limit: 50, Offset: 5})
	if err != nil || charges == nil || len(charges) != 0 {
		t.Fatalf("empty page: %v, %v", charges, err)
	}
}

func TestListingFailsWhenTheMarkFails(t *testing.T) {
	t.Parallel()
	m := withCharges(netflix.Pending)
	m.fail = func(string) error { return errors.New("connection lost") }
	if charges, err := netflix.NewRecords(m).UnacknowledgedCharges(context.Background(), 1, netflix.ListRequest{Limit: 50}); err == nil {
		t.Fatalf("listed %v although the mark failed", charges)
	}
}
