package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

func testCare(t *testing.T, open Open) {
	t.Run("Find", func(t *testing.T) { t.Parallel(); testCareFind(t, open) })
	t.Run("FindLimit", func(t *testing.T) { t.Parallel(); testCareFindLimit(t, open) })
	t.Run("CustomerFile", func(t *testing.T) { t.Parallel(); testCareFile(t, open) })
	t.Run("ReasonsAndHistory", func(t *testing.T) { t.Parallel(); testCareHistory(t, open) })
	t.Run("ReissueToken", func(t *testing.T) { t.Parallel(); testCareReissue(t, open) })
	t.Run("TenantIsolation", func(t *testing.T) { t.Parallel(); testCareIsolation(t, open) })
	t.Run("Notifications", func(t *testing.T) { t.Parallel(); testCareNotifications(t, open) })
	t.Run("ChargeCounts", func(t *testing.T) { t.Parallel(); testCareChargeCounts(t, open) })
}

// carePartner issues numbered tokens.
type carePartner struct{ calls int }

func (p *carePartner) RegistrationToken(ctx context.Context, r netflix.RegistrationRequest) (netflix.RegistrationToken, error) {
	p.calls++
	return netflix.RegistrationToken{Token: fmt.Sprint("tok-", p.calls), ExpiresAt: r.At.Add(r.Validity)}, nil
}

// careNotes is a Notifier that checks, when told of a change, that
// another connection already reads it: told after the commit. It reads
// with a query no cache answers (another process's cache sees a write
// only within a bound).
type careNotes struct {
	t       *testing.T
	store   netflix.Store // connections of their own
	subs    []netflix.SubscriptionChange
	charges []netflix.ChargeChange
}

func (n *careNotes) SubscriptionChanged(ctx context.Context, c netflix.SubscriptionChange) {
	s, err := n.store.CustomerLatest(ctx, c.OperatorID, c.Customer)
	if err != nil || s == nil || s.Latest == nil || s.Latest.Number() != c.Number || s.Latest.LifeCycleState != c.LifeCycleState {
		n.t.Errorf("told of %+v before it was committed: another connection reads %+v, %v", c, s, err)
	}
	n.subs = append(n.subs, c)
}

func (n *careNotes) ChargeChanged(ctx context.Context, c netflix.ChargeChange) {
	charges, err := n.store.CustomerCharges(ctx, c.OperatorID, c.Customer, 1000)
	var seen netflix.ChargeStatus
	for _, ch := range charges {
		if ch.Number() == c.Number {
			seen = ch.Status
		}
	}
	if err != nil || seen != c.Status {
		n.t.Errorf("told of %+v before it was committed: another connection reads %q, %v", c, seen, err)
	}
	n.charges = append(n.charges, c)
}

type careWorld struct {
	*tenant
	svc     *netflix.Service
	partner *carePartner
	notes   *careNotes
	theirs  carebridge.Caller // a user of op2
}

func careSetup(t *testing.T, open Open) *careWorld {
	tn := setup(t, open)
	p := &carePartner{}
	notes := &careNotes{t: t, store: tn.stores.Again(t).Netflix}
	return &careWorld{tenant: tn, partner: p, notes: notes,
		theirs: carebridge.Caller{UserID: tn.user.ID, Username: "bob", OperatorID: tn.op2.ID, OrganisationID: tn.org.ID},
		svc:    &netflix.Service{Store: tn.stores.Netflix, Partner: p, Now: func() time.Time { return base }, Notifier: notes}}
}

func (w *careWorld) create(t *testing.T, caller carebridge.Caller, r netflix.CreateRequest) netflix.Subscription {
	t.Helper()
	return ok(w.svc.Create(w.ctx, caller, r)).must(t).Subscription
}

func (w *careWorld) ingest(t *testing.T, operatorID int64, charges ...netflix.NewCharge) []int64 {
	t.Helper()
	res := ok(w.svc.Ingest(w.ctx, operatorID, charges, "")).must(t)
	ids := make([]int64, len(res))
	for i, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ids[i] = r.ChargeID
	}
	return ids
}

func (w *careWorld) find(t *testing.T, q string) []string {
	t.Helper()
	got := ok(w.svc.Find(w.ctx, w.caller, q)).must(t)
	out := make([]string, len(got))
	for i, c := range got {
		out[i] = c.Customer
	}
	return out
}

func testCareFind(t *testing.T, open Open) {
	w := careSetup(t, open)
	// Byte order puts "ABC" before "abc", "abcZ" before "abca", "abc~"
	// before "abcé": a collation of the language would not.
	for _, c := range []string{"ab", "abc", "abcZ", "abca", "abc-x", "abc~", "abcé", "abc\U000E01EF", "abd", "abb", "ABC1", "xyz"} {
		w.create(t, w.caller, netflix.CreateRequest{Customer: c, FirstName: "F " + c, LastName: "L " + c})
	}
	w.create(t, w.theirs, netflix.CreateRequest{Customer: "abc-theirs"})
	theirCharge := w.ingest(t, w.op2.ID, charge("t1", "abc-their-charges", 599, base))[0]
	chargeOnly := w.ingest(t, w.op.ID, charge("c1", "abc-charges", 599, base))[0]
	ok(w.svc.Transition(w.ctx, w.caller, "xyz", netflix.ActionCancel)).must(t)
	xyz := w.create(t, w.caller, netflix.CreateRequest{Customer: "xyz", FirstName: "Second"})
	var theirSub netflix.Subscription
	for _, c := range ok(w.svc.Find(w.ctx, w.theirs, "abc-theirs")).must(t) {
		theirSub = *c.Latest
	}

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"abc", []string{"abc", "abc-x", "abcZ", "abca", "abc~", "abcé", "abc\U000E01EF"}},
		{"abc\U000E01EF", []string{"abc\U000E01EF"}},
		{"abcé", []string{"abcé"}},
		{"ab", []string{"ab"}}, // two characters: exact only
		{"AB", nil},
		{"ABC", []string{"ABC1"}},
		{"abc-", []string{"abc-x"}}, // a customer with only charges is found exactly, not by prefix
		{"abc-charges", []string{"abc-charges"}},
		{"abc-theirs", nil},
		{"abc-their-charges", nil},
		{xyz.Number(), []string{"xyz"}},
		{theirSub.Number(), nil},
		{netflix.ChargeNumber(chargeOnly), []string{"abc-charges"}},
		{netflix.ChargeNumber(theirCharge), nil},
	} {
		if got := w.find(t, c.query); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Find(%q) = %q, want %q", c.query, got, c.want)
		}
	}
	got := ok(w.svc.Find(w.ctx, w.caller, "xyz")).must(t)
	if len(got) != 1 || got[0].Latest == nil || got[0].Latest.ID != xyz.ID || got[0].FirstName != "Second" || got[0].LastName != "" {
		t.Fatalf("xyz = %+v, want its latest subscription and names", got)
	}
	got = ok(w.svc.Find(w.ctx, w.caller, "abca")).must(t)
	if got[0].FirstName != "F abca" || got[0].LastName != "L abca" || got[0].Latest.LifeCycleState != netflix.Effective ||
		!got[0].Latest.CreatedAt.Equal(base) || got[0].Latest.OperatorID != w.op.ID {
		t.Fatalf("abca = %+v", got[0])
	}
	if got := ok(w.svc.Find(w.ctx, w.caller, "abc-charges")).must(t); got[0].Latest != nil {
		t.Fatalf("a customer with only charges has a subscription: %+v", got[0])
	}

	// The range itself: from inclusive, to exclusive, in bytes.
	s := w.stores.Netflix
	r := ok(s.CustomersInRange(w.ctx, w.op.ID, "abc", "abca", 20)).must(t)
	if len(r) != 3 || r[0].Customer != "abc" || r[1].Customer != "abc-x" || r[2].Customer != "abcZ" {
		t.Fatalf("CustomersInRange(abc, abca) = %+v", r)
	}
	if r := ok(s.CustomersInRange(w.ctx, w.op.ID, "abc", "abca", 2)).must(t); len(r) != 2 {
		t.Fatalf("limit 2: %+v", r)
	}
	if r := ok(s.CustomersInRange(w.ctx, w.op2.ID, "a", "b", 20)).must(t); len(r) != 1 || r[0].Customer != "abc-theirs" {
		t.Fatalf("op2's range: %+v", r)
	}
}

func testCareFindLimit(t *testing.T, open Open) {
	w := careSetup(t, open)
	for i := range 25 {
		w.create(t, w.caller, netflix.CreateRequest{Customer: fmt.Sprintf("lim%02d", i)})
	}
	w.create(t, w.caller, netflix.CreateRequest{Customer: "lim"})
	got := w.find(t, "lim")
	if len(got) != netflix.MaxFindResults || got[0] != "lim" || got[1] != "lim00" || got[19] != "lim18" {
		t.Fatalf("Find(lim) = %q, want lim then lim00…lim18", got)
	}
}

func testCareFile(t *testing.T, open Open) {
	w := careSetup(t, open)
	s, ctx := w.stores.Netflix, w.ctx
	ok(s.CreatePromotion(ctx, netflix.Promotion{OperatorID: w.op.ID, Code: "14", Name: "Fourteen", EffectiveFrom: base.AddDate(-1, 0, 0)}, base)).must(t)
	first := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1", PromotionCode: "14", Channel: "WEB", FirstName: "Old"})
	w.ingest(t, w.op.ID, charge("a1", "c1", 799, base))
	ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
	ok(w.svc.Transition(ctx, w.caller, "c1", netflix.ActionCancel)).must(t)

	primary, floor := true, int64(3)
	address := &netflix.Address{Type: "HOME", IsPrimary: &primary, StreetName: "Main", StreetNumber: "7", Floor: &floor,
		Country: &netflix.Country{TwoCharacterCode: "CY"}, UDF: netflix.UDF{"udf_string_1": "gate"}}
	email := &netflix.Email{Type: "PERSONAL", Address: "ann@example.com", Notes: "evenings"}
	phone := &netflix.Phone{Type: "MOBILE", Number: "+357 99 123456", AreaCode: "22"}
	second := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1", Channel: "STORE", FirstName: "Ann", LastName: "Lée",
		Address: address, Email: email, Phone: phone})
	// Prices against the second subscription: 5.99 and 7.99, each once,
	// in the order first charged; DECLINED later ends it, no price.
	ids := w.ingest(t, w.op.ID, charge("b1", "c1", 599, base), charge("b2", "c1", 799, base), charge("b3", "c1", 599, base))
	ok(s.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
	failed := ok(s.AcknowledgeCharges(ctx, w.op.ID, []netflix.Ack{{Number: netflix.ChargeNumber(ids[1]), Customer: "c1", ReferenceNumber: "REF-9"},
		{Number: netflix.ChargeNumber(ids[2]), Customer: "c1"}}, w.caller, base)).must(t)
	if len(failed) != 0 {
		t.Fatal(failed)
	}
	// Another operator's charge of the same identifier is not in the file.
	w.ingest(t, w.op2.ID, charge("x1", "c1", 100, base))

	f := ok(w.svc.Customer(ctx, w.caller, "c1")).must(t)
	if len(f.Subscriptions) != 2 || f.Subscriptions[0].ID != second.ID || f.Subscriptions[1].ID != first.ID {
		t.Fatalf("subscriptions %+v, want %d then %d", f.Subscriptions, second.ID, first.ID)
	}
	s0, s1 := f.Subscriptions[0], f.Subscriptions[1]
	if s0.Channel != "STORE" || s0.LifeCycleState != netflix.Effective || s0.NetflixState != netflix.Effective || len(s0.Promotions) != 0 ||
		!reflect.DeepEqual(s0.Prices, []money.Amount{usd(599), usd(799)}) || !s0.CreatedAt.Equal(base) || s0.Number() != second.Number() {
		t.Errorf("latest subscription %+v", s0)
	}
	if s1.Channel != "WEB" || s1.LifeCycleState != netflix.Cancelled || len(s1.Promotions) != 1 || s1.Promotions[0].Code != "14" ||
		s1.Promotions[0].Name != "Fourteen" || !reflect.DeepEqual(s1.Prices, []money.Amount{usd(799)}) {
		t.Errorf("first subscription %+v", s1)
	}
	c := f.Contact
	if c.FirstName != "Ann" || c.LastName != "Lée" || !reflect.DeepEqual(c.Address, address) || !reflect.DeepEqual(c.Email, email) || !reflect.DeepEqual(c.Phone, phone) {
		t.Errorf("contact %+v (address %+v), want the latest create's", c, c.Address)
	}
	if len(f.Charges) != 4 || f.Charges[0].ID != ids[2] || f.Charges[3].Amount != usd(799) {
		t.Fatalf("charges %+v, want the customer's 4, newest first", f.Charges)
	}
	for i, want := range []struct {
		acked bool
		ref   string
	}{{true, ""}, {true, "REF-9"}, {false, ""}, {false, ""}} {
		ch := f.Charges[i]
		if ch.Acknowledged != want.acked || ch.ReferenceNumber != want.ref || ch.Status != netflix.Approved || ch.ApprovedOn.IsZero() || ch.OperatorID != w.op.ID {
			t.Errorf("charge %d: %+v, want acknowledged %v with %q", i, ch, want.acked, want.ref)
		}
	}

	// The 50 newest charges.
	var batch []netflix.NewCharge
	for i := range 60 {
		batch = append(batch, charge(fmt.Sprint("m", i), "many", 100, base))
	}
	many := w.ingest(t, w.op.ID, batch...)
	f = ok(w.svc.Customer(ctx, w.caller, "many")).must(t)
	if len(f.Subscriptions) != 0 || len(f.Charges) != netflix.MaxFileCharges || f.Charges[0].ID != many[59] || f.Charges[49].ID != many[10] ||
		f.Charges[0].Status != netflix.Pending || f.Contact != (netflix.Contact{}) {
		t.Fatalf("file of a customer with 60 charges: %d subscriptions, %d charges from %d to %d",
			len(f.Subscriptions), len(f.Charges), f.Charges[0].ID, f.Charges[len(f.Charges)-1].ID)
	}
	if h := ok(w.svc.History(ctx, w.caller, "many")).must(t); h == nil || len(h) != 0 {
		t.Fatalf("history of a customer with only charges: %+v", h)
	}
}

func testCareHistory(t *testing.T, open Open) {
	w := careSetup(t, open)
	s, ctx := w.stores.Netflix, w.ctx
	sub := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1"})
	care := w.caller
	care.Username = "carol"
	long := strings.Repeat("é", netflix.MaxReasonLen)
	ok(w.svc.CareTransition(ctx, care, "c1", netflix.ActionSuspend, " Asked by phone. ")).must(t)
	_, err := w.svc.CareTransition(ctx, care, "c1", netflix.ActionSuspend, "again")
	wantCode(t, err, carebridge.ECONFLICT)
	_, err = w.svc.CareTransition(ctx, care, "c1", netflix.ActionUnsuspend, " ")
	wantCode(t, err, carebridge.EMISSING)
	ok(w.svc.CareTransition(ctx, care, "c1", netflix.ActionUnsuspend, long)).must(t)
	ok(w.svc.Transition(ctx, w.caller, "c1", netflix.ActionSuspend)).must(t)
	// Settlement ends the suspended subscription, and says why.
	ids := w.ingest(t, w.op.ID, charge("d1", "c1", 599, base))
	ok(s.SettleCharges(ctx, 10, base.Add(time.Hour), netflix.Settlement)).must(t)
	settled := "Charge " + netflix.ChargeNumber(ids[0]) + " settled DECLINED."

	h := ok(w.svc.History(ctx, care, "c1")).must(t)
	n := sub.Number()
	want := []netflix.HistoryEntry{
		{At: base, Actor: "alice", Action: netflix.ActionCreate, SubscriptionNumber: n, To: netflix.Effective},
		{At: base, Actor: "carol", Action: netflix.ActionSuspend, SubscriptionNumber: n, From: netflix.Effective, To: netflix.NotEffective,
			Reason: "Asked by phone.", HasReason: true},
		{At: base, Actor: "carol", Action: netflix.ActionUnsuspend, SubscriptionNumber: n, From: netflix.NotEffective, To: netflix.Effective,
			Reason: long, HasReason: true},
		{At: base, Actor: "alice", Action: netflix.ActionSuspend, SubscriptionNumber: n, From: netflix.Effective, To: netflix.NotEffective},
		{At: base.Add(time.Hour), Actor: netflix.SettlementActor, Action: netflix.ActionCancel, SubscriptionNumber: n,
			From: netflix.NotEffective, To: netflix.Cancelled, Reason: settled, HasReason: true},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("history\n%+v\nwant\n%+v", h, want)
	}
	// The audit trail of one subscription reads the reasons too.
	evs := ok(s.SubscriptionEvents(ctx, w.op.ID, sub.ID)).must(t)
	if len(evs) != 5 || evs[1].Reason != "Asked by phone." || evs[0].Reason != "" || evs[4].Reason != settled || evs[1].ActorUserID != w.user.ID {
		t.Fatalf("events %+v", evs)
	}
	// A reason is NULL when none was given.
	var nulls int
	if err := w.stores.SQL(t).QueryRow(`SELECT count(*) FROM netflix_subscription_events WHERE reason IS NULL`).Scan(&nulls); err != nil || nulls != 2 {
		t.Fatalf("%d events without a reason stored NULL, %v; want 2", nulls, err)
	}
	// Events of the next subscription follow.
	sub2 := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1"})
	h = ok(w.svc.History(ctx, care, "c1")).must(t)
	if len(h) != 6 || h[5].SubscriptionNumber != sub2.Number() || h[5].Action != netflix.ActionCreate {
		t.Fatalf("history after a new subscription %+v", h[len(h)-1])
	}
}

func testCareReissue(t *testing.T, open Open) {
	w := careSetup(t, open)
	ctx := w.ctx
	sub := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1"})
	expiry := func() int64 {
		var at int64
		q := fmt.Sprintf(`SELECT netflix_token_expires_at FROM netflix_subscriptions WHERE id = %d`, sub.ID)
		if err := w.stores.SQL(t).QueryRow(q).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if got := expiry(); got != base.Add(netflix.DefaultValidity).Unix() {
		t.Fatalf("create's expiry %d", got)
	}
	tok := ok(w.svc.ReissueToken(ctx, w.caller, "c1", 600*time.Second)).must(t)
	if tok.Token != "tok-2" || !tok.ExpiresAt.Equal(base.Add(10*time.Minute)) || expiry() != tok.ExpiresAt.Unix() {
		t.Fatalf("token %+v, stored expiry %d", tok, expiry())
	}
	evs := ok(w.stores.Netflix.SubscriptionEvents(ctx, w.op.ID, sub.ID)).must(t)
	if e := evs[len(evs)-1]; len(evs) != 2 || e.Action != netflix.ActionReissueToken || e.From != netflix.Effective || e.To != netflix.Effective || e.ActorUsername != "alice" {
		t.Fatalf("events %+v", evs)
	}
	v := ok(w.stores.Netflix.LatestSubscription(ctx, w.op.ID, "c1", base)).must(t)
	if v.LifeCycleState != netflix.Effective || !v.UpdatedAt.Equal(base) {
		t.Fatalf("after a reissue %+v", v.Subscription)
	}
	ok(w.svc.Transition(ctx, w.caller, "c1", netflix.ActionSuspend)).must(t)
	_, err := w.svc.ReissueToken(ctx, w.caller, "c1", 0)
	wantCode(t, err, carebridge.ECONFLICT)
	if w.partner.calls != 2 || expiry() != tok.ExpiresAt.Unix() {
		t.Fatalf("a refused reissue asked the partner (%d calls) or stored an expiry", w.partner.calls)
	}
	// Checked again when recorded: the store refuses a subscription that
	// is not the latest, or not EFFECTIVE.
	_, err = w.stores.Netflix.ReissueToken(ctx, netflix.TokenReissue{OperatorID: w.op.ID, Customer: "c1", SubscriptionID: sub.ID, ExpiresAt: base, Actor: w.caller, At: base})
	wantCode(t, err, carebridge.ECONFLICT)
	ok(w.svc.Transition(ctx, w.caller, "c1", netflix.ActionCancel)).must(t)
	sub2 := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1"})
	_, err = w.stores.Netflix.ReissueToken(ctx, netflix.TokenReissue{OperatorID: w.op.ID, Customer: "c1", SubscriptionID: sub.ID, ExpiresAt: base, Actor: w.caller, At: base})
	wantCode(t, err, carebridge.ECONFLICT)
	ok(w.stores.Netflix.ReissueToken(ctx, netflix.TokenReissue{OperatorID: w.op.ID, Customer: "c1", SubscriptionID: sub2.ID, ExpiresAt: base, Actor: w.caller, At: base})).must(t)
	_, err = w.stores.Netflix.ReissueToken(ctx, netflix.TokenReissue{OperatorID: w.op2.ID, Customer: "c1", SubscriptionID: sub2.ID, ExpiresAt: base, Actor: w.caller, At: base})
	wantCode(t, err, carebridge.ENOTFOUND)
}

// Another operator's customer is answered as one nobody knows, by every
// method of the care plane, with the identical error.
func testCareIsolation(t *testing.T, open Open) {
	w := careSetup(t, open)
	ctx := w.ctx
	w.create(t, w.theirs, netflix.CreateRequest{Customer: "theirs"})
	w.ingest(t, w.op2.ID, charge("t1", "their-payer", 599, base))
	notes := len(w.notes.subs)
	for _, customer := range []string{"theirs", "their-payer", "nobody"} {
		var errs []error
		_, err := w.svc.Customer(ctx, w.caller, customer)
		errs = append(errs, err)
		_, err = w.svc.History(ctx, w.caller, customer)
		errs = append(errs, err)
		_, err = w.svc.CareTransition(ctx, w.caller, customer, netflix.ActionCancel, "asked")
		errs = append(errs, err)
		_, err = w.svc.ReissueToken(ctx, w.caller, customer, 0)
		errs = append(errs, err)
		want := fmt.Sprintf("Customer %q is not known.", customer)
		for i, err := range errs {
			if carebridge.ErrorCode(err) != carebridge.ENOTFOUND || carebridge.ErrorMessage(err) != want {
				t.Errorf("%s, method %d: %v, want ENOTFOUND %q", customer, i, err, want)
			}
		}
		if got := w.find(t, customer); len(got) != 0 {
			t.Errorf("Find(%s) = %q", customer, got)
		}
	}
	if w.partner.calls != 1 || len(w.notes.subs) != notes {
		t.Fatalf("partner asked %d times, notified %+v", w.partner.calls, w.notes.subs[notes:])
	}
	// Theirs is untouched.
	v := ok(w.stores.Netflix.LatestSubscription(ctx, w.op2.ID, "theirs", base)).must(t)
	if v.LifeCycleState != netflix.Effective {
		t.Fatalf("their subscription %+v", v.Subscription)
	}
}

// Every change is told after its commit: creates, transitions, charges
// inserted, and settlement's; a refused transition tells nothing.
func testCareNotifications(t *testing.T, open Open) {
	w := careSetup(t, open)
	ctx := w.ctx
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sub := w.create(t, w.caller, netflix.CreateRequest{Customer: "c1"})
	_, err := w.svc.Transition(ctx, w.caller, "c1", netflix.ActionUnsuspend)
	wantCode(t, err, carebridge.ECONFLICT)
	_, err = w.svc.CareTransition(ctx, w.caller, "c1", netflix.ActionUnsuspend, "why not")
	wantCode(t, err, carebridge.ECONFLICT)
	_, err = w.svc.CareTransition(ctx, w.caller, "c1", netflix.ActionSuspend, "Card stolen.")
	ok(err)
	ids := w.ingest(t, w.op.ID, charge("n1", "c1", 599, base), charge("n2", "payer", 599, base))
	w.ingest(t, w.op.ID, charge("n1", "c1", 599, base)) // sent again: nothing new
	p := netflix.NewProcessor(w.stores.Netflix, func() time.Time { return base }, time.Hour, slog.New(slog.DiscardHandler))
	p.Notifier = w.notes
	n, err := p.Drain(ctx)
	ok(err)
	if n != 2 {
		t.Fatalf("drained %d, want 2", n)
	}
	num := sub.Number()
	wantSubs := []netflix.SubscriptionChange{
		{OperatorID: w.op.ID, Customer: "c1", Number: num, LifeCycleState: netflix.Effective, NetflixState: netflix.Effective, Actor: "alice"},
		{OperatorID: w.op.ID, Customer: "c1", Number: num, LifeCycleState: netflix.NotEffective, NetflixState: netflix.NotEffective,
			Actor: "alice", Reason: "Card stolen."},
		{OperatorID: w.op.ID, Customer: "c1", Number: num, LifeCycleState: netflix.Cancelled, NetflixState: netflix.NotEffective,
			Actor: netflix.SettlementActor, Reason: "Charge " + netflix.ChargeNumber(ids[0]) + " settled DECLINED."},
	}
	wantCharges := []netflix.ChargeChange{
		{OperatorID: w.op.ID, Number: netflix.ChargeNumber(ids[0]), Customer: "c1", Status: netflix.Pending},
		{OperatorID: w.op.ID, Number: netflix.ChargeNumber(ids[1]), Customer: "payer", Status: netflix.Pending},
		{OperatorID: w.op.ID, Number: netflix.ChargeNumber(ids[0]), Customer: "c1", Status: netflix.Declined},
		{OperatorID: w.op.ID, Number: netflix.ChargeNumber(ids[1]), Customer: "payer", Status: netflix.BadRequest},
	}
	if !reflect.DeepEqual(w.notes.subs, wantSubs) {
		t.Errorf("subscription notes\n%+v\nwant\n%+v", w.notes.subs, wantSubs)
	}
	if !reflect.DeepEqual(w.notes.charges, wantCharges) {
		t.Errorf("charge notes\n%+v\nwant\n%+v", w.notes.charges, wantCharges)
	}
	// A token reissued changes no state: nothing to tell.
	w.create(t, w.caller, netflix.CreateRequest{Customer: "c2"})
	before := len(w.notes.subs)
	_, err = w.svc.ReissueToken(ctx, w.caller, "c2", 0)
	ok(err)
	if len(w.notes.subs) != before {
		t.Fatalf("a reissue notified %+v", w.notes.subs[before:])
	}
}

// ChargeCounts counts the operator's charges by status, another
// operator's never; a status without charges is absent; the oldest
// PENDING charge is the one received first (created_at), whatever the
// ids; settlement moves the counts. The service's overview reads it as
// supervisors see it.
func testCareChargeCounts(t *testing.T, open Open) {
	w := careSetup(t, open)
	s, ctx := w.stores.Netflix, w.ctx
	check := func(step string, operatorID int64, want map[netflix.ChargeStatus]int64, oldest time.Time) {
		t.Helper()
		counts, first, err := s.ChargeCounts(ctx, operatorID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(counts, want) || !first.Equal(oldest) {
			t.Fatalf("%s: ChargeCounts(%d) = %v, oldest %v; want %v, oldest %v", step, operatorID, counts, first, want, oldest)
		}
	}
	check("no charges", w.op.ID, map[netflix.ChargeStatus]int64{}, time.Time{})

	for _, c := range []string{"live", "paused", "gone"} {
		w.create(t, w.caller, netflix.CreateRequest{Customer: c})
	}
	ok(w.svc.Transition(ctx, w.caller, "paused", netflix.ActionSuspend)).must(t)
	ok(w.svc.Transition(ctx, w.caller, "gone", netflix.ActionCancel)).must(t)
	// The other operator's charges, received first: one of a customer of
	// the same identifier as one of ours.
	w.create(t, w.theirs, netflix.CreateRequest{Customer: "live"})
	ok(s.IngestCharges(ctx, w.op2.ID, []netflix.NewCharge{charge("t1", "live", 599, base), charge("t2", "theirs", 599, base)},
		"", base.Add(-time.Hour))).must(t)
	// Ours: those received later have the lower ids.
	ok(s.IngestCharges(ctx, w.op.ID, []netflix.NewCharge{charge("p1", "live", 599, base), charge("p2", "paused", 599, base)},
		"", base.Add(2*time.Minute))).must(t)
	ok(s.IngestCharges(ctx, w.op.ID, []netflix.NewCharge{charge("p3", "gone", 599, base), charge("p4", "nobody", 599, base)},
		"", base.Add(time.Minute))).must(t)
	check("four pending", w.op.ID, map[netflix.ChargeStatus]int64{netflix.Pending: 4}, base.Add(time.Minute))
	check("theirs", w.op2.ID, map[netflix.ChargeStatus]int64{netflix.Pending: 2}, base.Add(-time.Hour))

	// Settling the two lowest ids (theirs) changes nothing of ours.
	ok(s.SettleCharges(ctx, 2, base.Add(3*time.Minute), netflix.Settlement)).must(t)
	check("theirs settled", w.op.ID, map[netflix.ChargeStatus]int64{netflix.Pending: 4}, base.Add(time.Minute))
	check("theirs, settled", w.op2.ID, map[netflix.ChargeStatus]int64{netflix.Approved: 1, netflix.BadRequest: 1}, time.Time{})
	// Settling p1 and p2 leaves the oldest as it was.
	ok(s.SettleCharges(ctx, 2, base.Add(3*time.Minute), netflix.Settlement)).must(t)
	check("two settled", w.op.ID, map[netflix.ChargeStatus]int64{netflix.Pending: 2, netflix.Approved: 1, netflix.Declined: 1}, base.Add(time.Minute))
	ok(s.SettleCharges(ctx, 10, base.Add(3*time.Minute), netflix.Settlement)).must(t)
	want := map[netflix.ChargeStatus]int64{netflix.Approved: 1, netflix.Declined: 1, netflix.Rejected: 1, netflix.BadRequest: 1}
	check("all settled", w.op.ID, want, time.Time{})

	// A new charge is PENDING alone, and the oldest.
	ok(s.IngestCharges(ctx, w.op.ID, []netflix.NewCharge{charge("p5", "live", 599, base)}, "", base.Add(time.Hour))).must(t)
	want[netflix.Pending] = 1
	check("one new", w.op.ID, want, base.Add(time.Hour))

	// The overview, by the service's clock (base): every status, the
	// age never negative.
	o := ok(w.svc.Overview(ctx, w.caller)).must(t)
	full := map[netflix.ChargeStatus]int64{netflix.Pending: 1, netflix.Approved: 1, netflix.Declined: 1, netflix.BadRequest: 1, netflix.Rejected: 1}
	if !reflect.DeepEqual(o.Charges, full) || !o.OldestPending.Equal(base.Add(time.Hour)) || o.OldestPendingAge != 0 {
		t.Fatalf("overview %+v", o)
	}
	later := &netflix.Service{Store: s, Now: func() time.Time { return base.Add(time.Hour + 42*time.Second) }}
	if o := ok(later.Overview(ctx, w.caller)).must(t); o.OldestPendingAge != 42*time.Second {
		t.Fatalf("overview 42 s later: %+v", o)
	}
	if o := ok(later.Overview(ctx, w.theirs)).must(t); !reflect.DeepEqual(o.Charges, map[netflix.ChargeStatus]int64{
		netflix.Pending: 0, netflix.Approved: 1, netflix.Declined: 0, netflix.BadRequest: 1, netflix.Rejected: 0}) || !o.OldestPending.IsZero() {
		t.Fatalf("their overview %+v", o)
	}
}
