package netflix_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

var (
	subAt = time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)
	subBy = carebridge.Caller{UserID: 7, Username: "alice", OperatorID: 1}
)

// withPromotions is a memory engine holding operator 1's promotion "14"
// (in effect at subAt), "later" (not yet in effect) and "over"
// (expired), and operator 2's "theirs".
func withPromotions() *memory {
	m := newMemory()
	m.data.promotions[1] = netflix.Promotion{ID: 1, OperatorID: 1, Code: "14", EffectiveFrom: subAt.AddDate(0, -1, 0)}
	m.data.promotions[2] = netflix.Promotion{ID: 2, OperatorID: 1, Code: "later", EffectiveFrom: subAt.Add(time.Hour)}
	m.data.promotions[3] = netflix.Promotion{ID: 3, OperatorID: 1, Code: "over", EffectiveFrom: subAt.AddDate(-1, 0, 0), ExpiresOn: subAt}
	m.data.promotions[4] = netflix.Promotion{ID: 4, OperatorID: 2, Code: "theirs", EffectiveFrom: subAt.AddDate(-1, 0, 0)}
	return m
}

func newSubscription(customer, promotion string) netflix.NewSubscription {
	return netflix.NewSubscription{
		OperatorID: 1, Actor: subBy, At: subAt.Add(300 * time.Millisecond), TokenExpiresAt: subAt.Add(time.Hour),
		Request: netflix.CreateRequest{Customer: customer, PromotionCode: promotion, Channel: "OTHER"},
	}
}

// written counts what the subscription rules write.
func written(m *memory) int { return len(m.data.subs) + len(m.data.redemptions) + len(m.data.events) }

func TestCreateSubscriptionStoresItAll(t *testing.T) {
	t.Parallel()
	m := withPromotions()
	sub, err := netflix.NewRecords(m).CreateSubscription(context.Background(), newSubscription("c1", "14"))
	if err != nil {
		t.Fatal(err)
	}
	want := netflix.Subscription{ID: sub.ID, OperatorID: 1, Customer: "c1", LifeCycleState: netflix.Effective, NetflixState: netflix.Effective,
		CreatedAt: subAt, UpdatedAt: subAt} // to the second, as stored
	if sub != want || m.data.subs[sub.ID] != want {
		t.Fatalf("created %+v, stored %+v; want %+v", sub, m.data.subs[sub.ID], want)
	}
	if r := m.data.records[sub.ID]; r.PromotionID != 1 || !r.TokenExpiresAt.Equal(subAt.Add(time.Hour)) || r.Request.Channel != "OTHER" {
		t.Fatalf("stored record %+v", r)
	}
	if len(m.data.redemptions) != 1 || m.data.redemptions[0] != (netflix.Redemption{OperatorID: 1, Customer: "c1", PromotionID: 1, SubscriptionID: sub.ID, At: subAt}) {
		t.Fatalf("redemptions %+v", m.data.redemptions)
	}
	if len(m.data.events) != 1 || m.data.events[0] != (netflix.Event{SubscriptionID: sub.ID, Action: netflix.ActionCreate, To: netflix.Effective,
		ActorUserID: 7, ActorUsername: "alice", At: subAt.Add(300 * time.Millisecond)}) {
		t.Fatalf("events %+v", m.data.events)
	}

	// Without a promotion there is no redemption.
	if _, err := netflix.NewRecords(m).CreateSubscription(context.Background(), newSubscription("c2", "")); err != nil {
		t.Fatal(err)
	}
	if len(m.data.redemptions) != 1 || len(m.data.events) != 2 {
		t.Fatalf("without a promotion: redemptions %+v, events %+v", m.data.redemptions, m.data.events)
	}
}

func TestCreateSubscriptionRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, promotion string
		latest          netflix.State // "" for none
		code            string
	}{
		{"unknown promotion", "nope", "", carebridge.ENOTFOUND},
		{"another operator's promotion", "theirs", "", carebridge.ENOTFOUND},
		{"promotion not yet in effect", "later", "", carebridge.EINVALID},
		{"promotion expired", "over", "", carebridge.EINVALID},
		{"an effective subscription", "", netflix.Effective, carebridge.ECONFLICT},
		{"a suspended subscription", "", netflix.NotEffective, carebridge.ECONFLICT},
		{"a suspended subscription, with a promotion", "14", netflix.NotEffective, carebridge.ECONFLICT},
		{"after a cancelled one", "14", netflix.Cancelled, ""},
		{"the first", "14", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := withPromotions()
			if c.latest != "" {
				m.data.subs[50] = netflix.Subscription{ID: 50, OperatorID: 1, Customer: "c1", LifeCycleState: c.latest}
			}
			before := written(m)
			sub, err := netflix.NewRecords(m).CreateSubscription(context.Background(), newSubscription("c1", c.promotion))
			if carebridge.ErrorCode(err) != c.code {
				t.Fatalf("got %+v, %v; want code %q", sub, err, c.code)
			}
			if err != nil && written(m) != before {
				t.Fatalf("a refused create wrote: subs %+v, redemptions %+v, events %+v", m.data.subs, m.data.redemptions, m.data.events)
			}
			if err == nil && c.latest != "" && sub.ID <= 50 {
				t.Fatalf("new subscription %d not after the cancelled one", sub.ID)
			}
		})
	}
}

// A create that passed the check on the latest subscription, but whose
// insert finds a live one another transaction committed meanwhile, is
// refused as if the check had seen it.
func TestCreateSubscriptionLosesTheRace(t *testing.T) {
	t.Parallel()
	m := withPromotions()
	m.fail = func(p string) error {
		if p == "InsertSubscription" {
			m.data.subs[60] = netflix.Subscription{ID: 60, OperatorID: 1, Customer: "c1", LifeCycleState: netflix.Effective}
		}
		return nil
	}
	_, err := netflix.NewRecords(m).CreateSubscription(context.Background(), newSubscription("c1", "14"))
	if carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		t.Fatalf("got %v, want ECONFLICT", err)
	}
	if len(m.data.redemptions)+len(m.data.events) != 0 {
		t.Fatalf("the loser wrote redemptions %+v, events %+v", m.data.redemptions, m.data.events)
	}
}

func TestCreateSubscriptionIsAllOrNothing(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"InsertRedemption", "InsertEvent"} {
		m := withPromotions()
		m.fail = func(q string) error {
			if q == p {
				return errors.New("connection lost")
			}
			return nil
		}
		if _, err := netflix.NewRecords(m).CreateSubscription(context.Background(), newSubscription("c1", "14")); err == nil {
			t.Fatalf("%s failed: create succeeded", p)
		}
		if written(m) != 0 {
			t.Fatalf("%s failed: subs %+v, redemptions %+v, events %+v remain", p, m.data.subs, m.data.redemptions, m.data.events)
		}
	}
}

func transition(m *memory, customer string, a netflix.Action, at time.Time) (netflix.Subscription, error) {
	return netflix.NewRecords(m).TransitionSubscription(context.Background(), 1, customer, a, subBy, "", at)
}

func TestTransitionSubscription(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		from       netflix.State
		action     netflix.Action
		life, onNF netflix.State // "": refused with ECONFLICT
	}{
		{netflix.Effective, netflix.ActionSuspend, netflix.NotEffective, netflix.NotEffective},
		{netflix.Effective, netflix.ActionCancel, netflix.Cancelled, netflix.NotEffective},
		{netflix.Effective, netflix.ActionUnsuspend, "", ""},
		{netflix.NotEffective, netflix.ActionUnsuspend, netflix.Effective, netflix.Effective},
		{netflix.NotEffective, netflix.ActionCancel, netflix.Cancelled, netflix.NotEffective},
		{netflix.NotEffective, netflix.ActionSuspend, "", ""},
		{netflix.Cancelled, netflix.ActionSuspend, "", ""},
		{netflix.Cancelled, netflix.ActionUnsuspend, "", ""},
		{netflix.Cancelled, netflix.ActionCancel, "", ""},
	} {
		t.Run(string(c.from)+" "+string(c.action), func(t *testing.T) {
			t.Parallel()
			m := newMemory()
			old := netflix.Subscription{ID: 5, OperatorID: 1, Customer: "c1", LifeCycleState: c.from, NetflixState: c.from, CreatedAt: subAt, UpdatedAt: subAt}
			m.data.subs[5] = old
			// An older subscription of the customer is not the one moved.
			m.data.subs[3] = netflix.Subscription{ID: 3, OperatorID: 1, Customer: "c1", LifeCycleState: netflix.Cancelled}
			at := subAt.Add(time.Hour)
			got, err := transition(m, "c1", c.action, at)
			if c.life == "" {
				if carebridge.ErrorCode(err) != carebridge.ECONFLICT {
					t.Fatalf("got %+v, %v; want ECONFLICT", got, err)
				}
				if m.data.subs[5] != old || len(m.data.events) != 0 {
					t.Fatalf("a refused transition wrote: %+v, events %+v", m.data.subs[5], m.data.events)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := old
			want.LifeCycleState, want.NetflixState, want.UpdatedAt = c.life, c.onNF, at
			if got != want || m.data.subs[5] != want {
				t.Fatalf("got %+v, stored %+v; want %+v", got, m.data.subs[5], want)
			}
			if m.data.subs[3].LifeCycleState != netflix.Cancelled {
				t.Fatalf("the older subscription moved: %+v", m.data.subs[3])
			}
			wantEvent := netflix.Event{SubscriptionID: 5, Action: c.action, From: c.from, To: c.life, ActorUserID: 7, ActorUsername: "alice", At: at}
			if len(m.data.events) != 1 || m.data.events[0] != wantEvent {
				t.Fatalf("events %+v, want %+v", m.data.events, wantEvent)
			}
		})
	}
}

func TestTransitionWithoutSubscription(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.data.subs[5] = netflix.Subscription{ID: 5, OperatorID: 2, Customer: "c1", LifeCycleState: netflix.Effective} // another operator's customer
	if _, err := transition(m, "c1", netflix.ActionSuspend, subAt); carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		t.Fatalf("got %v, want ENOTFOUND", err)
	}
}

// The transition decides on the subscription it holds: it reads with the
// locking primitive, never the plain read.
func TestTransitionReadsWhatItHolds(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.data.subs[5] = netflix.Subscription{ID: 5, OperatorID: 1, Customer: "c1", LifeCycleState: netflix.Effective}
	m.fail = func(p string) error {
		if p == "LatestSubscriptionOf" {
			return errors.New("an unlocked read")
		}
		return nil
	}
	if _, err := transition(m, "c1", netflix.ActionSuspend, subAt); err != nil {
		t.Fatal(err)
	}
}

// A held subscription that will not move is the engine breaking its
// contract: nothing is written.
func TestTransitionOfAMovedSubscriptionFails(t *testing.T) {
	t.Parallel()
	m := newMemory()
	m.data.subs[5] = netflix.Subscription{ID: 5, OperatorID: 1, Customer: "c1", LifeCycleState: netflix.Effective}
	m.fail = func(p string) error {
		if p == "SetSubscriptionState" {
			s := m.data.subs[5]
			s.LifeCycleState = netflix.NotEffective
			m.data.subs[5] = s
		}
		return nil
	}
	_, err := transition(m, "c1", netflix.ActionCancel, subAt)
	if carebridge.ErrorCode(err) != carebridge.EINTERNAL {
		t.Fatalf("got %v, want EINTERNAL", err)
	}
	if len(m.data.events) != 0 {
		t.Fatalf("events %+v", m.data.events)
	}
}
