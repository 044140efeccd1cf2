package storetest

import (
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

func testPromotions(t *testing.T, open Open) {
	tn := setup(t, open)
	s, ctx := tn.stores.Netflix, tn.ctx
	later := netflix.Promotion{OperatorID: tn.op.ID, Code: "15", Name: "Test_2", EffectiveFrom: base.AddDate(0, 1, 0)}
	earlier := netflix.Promotion{OperatorID: tn.op.ID, Code: "14", Name: "Test", Description: "first", EffectiveFrom: base, ExpiresOn: base.AddDate(1, 0, 0)}
	ok(s.CreatePromotion(ctx, later, base)).must(t)
	ok(s.CreatePromotion(ctx, earlier, base)).must(t)
	ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op2.ID, Code: "99", Name: "other", EffectiveFrom: base}, base)).must(t)
	_, err := s.CreatePromotion(ctx, later, base)
	wantCode(t, err, carebridge.ECONFLICT)

	ps := ok(s.Promotions(ctx, tn.op.ID)).must(t)
	if len(ps) != 2 || ps[0].Code != "14" || ps[1].Code != "15" {
		t.Fatalf("Promotions = %+v, want 14 then 15 (oldest effective_from first) and nothing of op2", ps)
	}
	if p := ps[0]; p.Description != "first" || !p.EffectiveFrom.Equal(base) || !p.ExpiresOn.Equal(base.AddDate(1, 0, 0)) || p.OperatorID != tn.op.ID {
		t.Fatalf("promotion 14 = %+v", p)
	}
	if p := ps[1]; p.Description != "" || !p.ExpiresOn.IsZero() {
		t.Fatalf("promotion 15 = %+v, want no description, no expiry", p)
	}
	if none := ok(s.Promotions(ctx, 999)).must(t); len(none) != 0 {
		t.Fatalf("unknown operator has promotions %+v", none)
	}
}

func newSub(tn *tenant, customer, promotion string, at time.Time) netflix.NewSubscription {
	return netflix.NewSubscription{
		OperatorID: tn.op.ID, Actor: tn.caller, At: at, TokenExpiresAt: at.Add(time.Hour),
		Request: netflix.CreateRequest{Customer: customer, PromotionCode: promotion, Channel: "WEB",
			Address: &netflix.Address{Type: "HOME", StreetName: "Main"}},
	}
}

func testSubscriptions(t *testing.T, open Open) {
	t.Run("ShowRedeemedPromotions", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		expires := base.AddDate(1, 0, 0)
		full := ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "14", Name: "Full", Description: "Fourteen",
			EffectiveFrom: base.AddDate(-1, 0, 0), ExpiresOn: expires}, base)).must(t)
		bare := ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "15", Name: "Bare", EffectiveFrom: base.AddDate(-1, 0, 0)}, base)).must(t)
		// Redeemed 15, then 14, then 15 again: each once, in the order
		// first redeemed.
		for i, code := range []string{"15", "14", "15"} {
			at := base.Add(time.Duration(i) * time.Hour)
			ok(s.CreateSubscription(ctx, newSub(tn, "loyal", code, at))).must(t)
			if i < 2 {
				ok(s.TransitionSubscription(ctx, tn.op.ID, "loyal", netflix.ActionCancel, tn.caller, "", at.Add(time.Minute))).must(t)
			}
		}
		v := ok(s.LatestSubscription(ctx, tn.op.ID, "loyal", base)).must(t)
		if len(v.Promotions) != 2 || v.Promotions[0] != bare || v.Promotions[1] != full {
			t.Fatalf("promotions %+v, want %+v then %+v", v.Promotions, bare, full)
		}
		// Only redemptions at or after redeemedSince count: 14's order now.
		v = ok(s.LatestSubscription(ctx, tn.op.ID, "loyal", base.Add(time.Hour))).must(t)
		if len(v.Promotions) != 2 || v.Promotions[0] != full || v.Promotions[1] != bare {
			t.Fatalf("promotions since the second redemption %+v, want 14 then 15", v.Promotions)
		}
	})

	t.Run("CreateAndShow", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "14", Name: "Test", EffectiveFrom: base.AddDate(-1, 0, 0)}, base)).must(t)

		sub := ok(s.CreateSubscription(ctx, newSub(tn, "pci123", "14", base))).must(t)
		if sub.ID <= 0 || sub.LifeCycleState != netflix.Effective || sub.NetflixState != netflix.Effective || sub.Customer != "pci123" || !sub.CreatedAt.Equal(base) {
			t.Fatalf("created %+v", sub)
		}
		v := ok(s.LatestSubscription(ctx, tn.op.ID, "pci123", base.AddDate(0, -10, 0))).must(t)
		if v.ID != sub.ID || v.LifeCycleState != netflix.Effective || len(v.Promotions) != 1 || v.Promotions[0].Code != "14" {
			t.Fatalf("LatestSubscription = %+v", v)
		}
		if v.Prices == nil || v.Promotions == nil {
			t.Fatal("empty sets must be empty slices, not nil")
		}
		// Promotions redeemed before the look-back are not reported.
		old := ok(s.LatestSubscription(ctx, tn.op.ID, "pci123", base.Add(time.Second))).must(t)
		if len(old.Promotions) != 0 {
			t.Fatalf("promotions before the look-back reported: %+v", old.Promotions)
		}
		// Scoped to the operator.
		_, err := s.LatestSubscription(ctx, tn.op2.ID, "pci123", base)
		wantCode(t, err, carebridge.ENOTFOUND)
		_, err = s.LatestSubscription(ctx, tn.op.ID, "nobody", base)
		wantCode(t, err, carebridge.ENOTFOUND)

		evs := ok(s.SubscriptionEvents(ctx, tn.op.ID, sub.ID)).must(t)
		if len(evs) != 1 || evs[0].Action != netflix.ActionCreate || evs[0].From != "" || evs[0].To != netflix.Effective ||
			evs[0].ActorUserID != tn.user.ID || evs[0].ActorUsername != "alice" || !evs[0].At.Equal(base) {
			t.Fatalf("create audit = %+v", evs)
		}
		if other := ok(s.SubscriptionEvents(ctx, tn.op2.ID, sub.ID)).must(t); len(other) != 0 {
			t.Fatalf("another operator reads the audit trail: %+v", other)
		}
	})

	t.Run("OneLiveSubscription", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		first := ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		_, err := s.CreateSubscription(ctx, newSub(tn, "c1", "", base))
		wantCode(t, err, carebridge.ECONFLICT)
		ok(s.TransitionSubscription(ctx, tn.op.ID, "c1", netflix.ActionSuspend, tn.caller, "", base)).must(t)
		_, err = s.CreateSubscription(ctx, newSub(tn, "c1", "", base))
		wantCode(t, err, carebridge.ECONFLICT) // NOT_EFFECTIVE is still live
		ok(s.TransitionSubscription(ctx, tn.op.ID, "c1", netflix.ActionCancel, tn.caller, "", base)).must(t)
		second := ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base.Add(time.Second)))).must(t)
		if second.ID <= first.ID {
			t.Fatalf("new subscription id %d not after %d", second.ID, first.ID)
		}
		v := ok(s.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t)
		if v.ID != second.ID || v.LifeCycleState != netflix.Effective {
			t.Fatalf("latest = %+v, want the new one", v)
		}
		// The same customer identifier at another operator is another customer.
		n := newSub(tn, "c1", "", base)
		n.OperatorID = tn.op2.ID
		ok(s.CreateSubscription(ctx, n)).must(t)
	})

	t.Run("ConcurrentCreates", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.CreateSubscription(ctx, newSub(tn, "race", "", base))
				mu.Lock()
				codes[carebridge.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[""] != 1 || codes[carebridge.ECONFLICT] != 7 {
			t.Fatalf("outcomes %v, want exactly one success and 7 conflicts", codes)
		}
	})

	t.Run("PromotionRules", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "future", Name: "F", EffectiveFrom: base.Add(time.Hour)}, base)).must(t)
		ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op.ID, Code: "expired", Name: "E", EffectiveFrom: base.AddDate(-1, 0, 0), ExpiresOn: base}, base)).must(t)
		ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: tn.op2.ID, Code: "theirs", Name: "T", EffectiveFrom: base.AddDate(-1, 0, 0)}, base)).must(t)
		for code, want := range map[string]string{
			"future": carebridge.EINVALID, "expired": carebridge.EINVALID,
			"theirs": carebridge.ENOTFOUND, "nope": carebridge.ENOTFOUND,
		} {
			_, err := s.CreateSubscription(ctx, newSub(tn, "c-"+code, code, base))
			wantCode(t, err, want)
			// Nothing was written.
			_, err = s.LatestSubscription(ctx, tn.op.ID, "c-"+code, base.AddDate(-1, 0, 0))
			wantCode(t, err, carebridge.ENOTFOUND)
		}
	})

	t.Run("Transitions", func(t *testing.T) {
		t.Parallel()
		tn := setup(t, open)
		s, ctx := tn.stores.Netflix, tn.ctx
		_, err := s.TransitionSubscription(ctx, tn.op.ID, "ghost", netflix.ActionSuspend, tn.caller, "", base)
		wantCode(t, err, carebridge.ENOTFOUND)

		sub := ok(s.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
		steps := []struct {
			action     netflix.Action
			code       string
			life, onNF netflix.State
		}{
			{netflix.ActionUnsuspend, carebridge.ECONFLICT, netflix.Effective, netflix.Effective},
			{netflix.ActionSuspend, "", netflix.NotEffective, netflix.NotEffective},
			{netflix.ActionSuspend, carebridge.ECONFLICT, netflix.NotEffective, netflix.NotEffective},
			{netflix.ActionUnsuspend, "", netflix.Effective, netflix.Effective},
			{netflix.ActionCancel, "", netflix.Cancelled, netflix.NotEffective},
			{netflix.ActionCancel, carebridge.ECONFLICT, netflix.Cancelled, netflix.NotEffective},
			{netflix.ActionSuspend, carebridge.ECONFLICT, netflix.Cancelled, netflix.NotEffective},
			{netflix.ActionUnsuspend, carebridge.ECONFLICT, netflix.Cancelled, netflix.NotEffective},
		}
		okSteps := 0
		for i, st := range steps {
			at := base.Add(time.Duration(i+1) * time.Minute)
			got, err := s.TransitionSubscription(ctx, tn.op.ID, "c1", st.action, tn.caller, "", at)
			wantCode(t, err, st.code)
			if err == nil {
				okSteps++
				if got.LifeCycleState != st.life || got.NetflixState != st.onNF || !got.UpdatedAt.Equal(at) {
					t.Fatalf("step %d %s: got %+v", i, st.action, got)
				}
			}
			v := ok(s.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t)
			if v.LifeCycleState != st.life || v.NetflixState != st.onNF {
				t.Fatalf("step %d %s: stored %s/%s, want %s/%s", i, st.action, v.LifeCycleState, v.NetflixState, st.life, st.onNF)
			}
		}
		// The audit trail holds the create and each successful step, and no
		// refused one.
		evs := ok(s.SubscriptionEvents(ctx, tn.op.ID, sub.ID)).must(t)
		if len(evs) != 1+okSteps {
			t.Fatalf("%d audit events, want %d: %+v", len(evs), 1+okSteps, evs)
		}
		want := []struct {
			a        netflix.Action
			from, to netflix.State
		}{
			{netflix.ActionCreate, "", netflix.Effective},
			{netflix.ActionSuspend, netflix.Effective, netflix.NotEffective},
			{netflix.ActionUnsuspend, netflix.NotEffective, netflix.Effective},
			{netflix.ActionCancel, netflix.Effective, netflix.Cancelled},
		}
		for i, w := range want {
			if e := evs[i]; e.Action != w.a || e.From != w.from || e.To != w.to || e.ActorUsername != "alice" {
				t.Fatalf("event %d = %+v, want %+v", i, e, w)
			}
		}
		// Another operator cannot move this customer's subscription.
		_, err = s.TransitionSubscription(ctx, tn.op2.ID, "c1", netflix.ActionCancel, tn.caller, "", base)
		wantCode(t, err, carebridge.ENOTFOUND)
	})
}
