package netflix_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

var (
	careAt    = time.Date(2017, 3, 1, 9, 0, 0, 0, time.UTC)
	careAgent = carebridge.Caller{UserID: 9, Username: "carol", OperatorID: 1}
	otherOp   = carebridge.Caller{UserID: 10, Username: "mallory", OperatorID: 2}
)

// fakePartner issues tokens and counts the calls; before, when set, runs
// first, as if something happened while the partner was asked.
type fakePartner struct {
	calls  int
	before func()
}

func (p *fakePartner) RegistrationToken(ctx context.Context, r netflix.RegistrationRequest) (netflix.RegistrationToken, error) {
	p.calls++
	if p.before != nil {
		p.before()
	}
	return netflix.RegistrationToken{Token: fmt.Sprintf("tok-%d", p.calls), ExpiresAt: r.At.Add(r.Validity)}, nil
}

// recorder is a Notifier that keeps what it is told, and whether a
// transaction of the memory engine was running then.
type recorder struct {
	m       *memory
	subs    []netflix.SubscriptionChange
	charges []netflix.ChargeChange
	inTx    bool
}

func (r *recorder) SubscriptionChanged(ctx context.Context, c netflix.SubscriptionChange) {
	r.inTx = r.inTx || r.m.inTx
	r.subs = append(r.subs, c)
}

func (r *recorder) ChargeChanged(ctx context.Context, c netflix.ChargeChange) {
	r.inTx = r.inTx || r.m.inTx
	r.charges = append(r.charges, c)
}

func (r *recorder) check(t *testing.T) {
	t.Helper()
	if r.inTx {
		t.Fatal("the notifier was called inside a transaction")
	}
}

type careWorld struct {
	m       *memory
	svc     *netflix.Service
	partner *fakePartner
	rec     *recorder
}

func newCareWorld() *careWorld {
	m := withPromotions()
	p := &fakePartner{}
	rec := &recorder{m: m}
	return &careWorld{m: m, partner: p, rec: rec, svc: &netflix.Service{
		Store: netflix.NewRecords(m), Partner: p, Now: func() time.Time { return careAt }, Notifier: rec,
	}}
}

// create makes a subscription through the service, for operator 1 (or
// the caller given).
func (w *careWorld) create(t *testing.T, caller carebridge.Caller, r netflix.CreateRequest) netflix.Subscription {
	t.Helper()
	c, err := w.svc.Create(context.Background(), caller, r)
	if err != nil {
		t.Fatalf("create %s: %v", r.Customer, err)
	}
	return c.Subscription
}

// charge stores a settled charge of a customer directly.
func (w *careWorld) charge(operatorID int64, customer string, amount money.Amount, status netflix.ChargeStatus, subscriptionID int64) int64 {
	id := w.m.nextID()
	w.m.data.charges[id] = netflix.Charge{ID: id, OperatorID: operatorID, PartnerChargeID: fmt.Sprint("p", id), Customer: customer,
		Amount: amount, ReceivedOn: careAt, Status: status}
	w.m.data.settled[id] = subscriptionID
	return id
}

func customers(sums []netflix.CustomerSummary) []string {
	out := make([]string, len(sums))
	for i, s := range sums {
		out[i] = s.Customer
	}
	return out
}

func TestFind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	for _, c := range []string{"ab", "abc", "abcZ", "abca", "abc~", "abcé", "abc\U000E01EF", "abd", "abb", "xyz"} {
		w.create(t, subBy, netflix.CreateRequest{Customer: c, FirstName: "F-" + c, LastName: "L-" + c})
	}
	theirs := w.create(t, otherOp, netflix.CreateRequest{Customer: "abc-theirs"})
	// A customer with two subscriptions is found once, by its latest.
	if _, err := w.svc.Transition(ctx, subBy, "xyz", netflix.ActionCancel); err != nil {
		t.Fatal(err)
	}
	xyz2 := w.create(t, subBy, netflix.CreateRequest{Customer: "xyz", FirstName: "Second"})
	chargeOnly := w.charge(1, "abc-charges", eur599, netflix.Pending, 0)
	theirCharge := w.charge(2, "abc-their-charges", eur599, netflix.Pending, 0)

	find := func(q string) []netflix.CustomerSummary {
		t.Helper()
		got, err := w.svc.Find(ctx, subBy, q)
		if err != nil {
			t.Fatalf("Find(%q): %v", q, err)
		}
		return got
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		// Exact first, then the prefix's customers in byte order: no
		// "abd" past the range, nothing of operator 2, no customer with
		// only charges.
		{"abc", []string{"abc", "abcZ", "abca", "abc~", "abcé", "abc\U000E01EF"}},
		// Two characters: the exact identifier only.
		{"ab", []string{"ab"}},
		{"zz", nil},
		// A prefix that is no identifier.
		{"abcé", []string{"abcé"}},
		{"abc\U000E01EF", []string{"abc\U000E01EF"}},
		{"xy", nil},
		{"xyz", []string{"xyz"}},
		// Exact match of a customer with only charges.
		{"abc-charges", []string{"abc-charges"}},
		{"abc-theirs", nil},
		// Numbers.
		{xyz2.Number(), []string{"xyz"}},
		{theirs.Number(), nil},
		{netflix.ChargeNumber(chargeOnly), []string{"abc-charges"}},
		{netflix.ChargeNumber(theirCharge), nil},
		{"S99999999", nil},
	} {
		got := customers(find(c.query))
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Find(%q) = %q, want %q", c.query, got, c.want)
		}
	}
	// What a result holds: the latest subscription and its create's names.
	got := find("xyz")
	if got[0].Latest == nil || got[0].Latest.ID != xyz2.ID || got[0].FirstName != "Second" || got[0].LastName != "" {
		t.Fatalf("xyz found as %+v, want its latest subscription %d", got[0], xyz2.ID)
	}
	if got := find("abca"); got[0].FirstName != "F-abca" || got[0].LastName != "L-abca" || got[0].Latest.LifeCycleState != netflix.Effective {
		t.Fatalf("abca found as %+v", got[0])
	}
	if got := find("abc-charges"); got[0].Latest != nil || got[0].FirstName != "" {
		t.Fatalf("customer with only charges found as %+v, want no subscription", got[0])
	}

	for q, code := range map[string]string{
		"": carebridge.EMISSING, strings.Repeat("a", 101): carebridge.EINVALID,
		"ab\x01c": carebridge.EINVALID, "ab\xffc": carebridge.EINVALID,
	} {
		if _, err := w.svc.Find(ctx, subBy, q); carebridge.ErrorCode(err) != code {
			t.Errorf("Find(%q): %v, want %s", q, err, code)
		}
	}
	if _, err := w.svc.Find(ctx, subBy, strings.Repeat("é", 100)); err != nil {
		t.Errorf("100 characters refused: %v", err)
	}
}

// At most 20 customers: the exact match, then the first of the prefix's.
func TestFindLimit(t *testing.T) {
	t.Parallel()
	w := newCareWorld()
	for i := range 25 {
		w.create(t, subBy, netflix.CreateRequest{Customer: fmt.Sprintf("lim%02d", i)})
	}
	got, err := w.svc.Find(context.Background(), subBy, "lim")
	if err != nil || len(got) != netflix.MaxFindResults || got[0].Customer != "lim00" || got[19].Customer != "lim19" {
		t.Fatalf("Find(lim) = %q, %v; want lim00…lim19", customers(got), err)
	}
	w.create(t, subBy, netflix.CreateRequest{Customer: "lim"})
	w.create(t, subBy, netflix.CreateRequest{Customer: "lil"})
	got, _ = w.svc.Find(context.Background(), subBy, "lim")
	if len(got) != 20 || got[0].Customer != "lim" || got[1].Customer != "lim00" || got[19].Customer != "lim18" {
		t.Fatalf("Find(lim) = %q; want lim, then lim00…lim18", customers(got))
	}
}

func TestCustomerFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	primary := true
	first := w.create(t, subBy, netflix.CreateRequest{Customer: "c1", PromotionCode: "14", Channel: "WEB", FirstName: "Old"})
	if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionCancel); err != nil {
		t.Fatal(err)
	}
	address := &netflix.Address{Type: "HOME", StreetName: "Main", IsPrimary: &primary}
	email := &netflix.Email{Type: "PERSONAL", Address: "c1@example.com"}
	phone := &netflix.Phone{Type: "MOBILE", Number: "+357 99 123456"}
	second := w.create(t, subBy, netflix.CreateRequest{Customer: "c1", Channel: "STORE", FirstName: "Ann", LastName: "Lee",
		Address: address, Email: email, Phone: phone})
	usd := func(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "USD"} }
	// Approved charges: prices per subscription, distinct, in the order
	// first charged; other statuses and charges settled against no
	// subscription give none.
	w.charge(1, "c1", usd(799), netflix.Approved, first.ID)
	w.charge(1, "c1", usd(599), netflix.Approved, second.ID)
	w.charge(1, "c1", usd(799), netflix.Approved, second.ID)
	w.charge(1, "c1", usd(599), netflix.Approved, second.ID)
	w.charge(1, "c1", usd(999), netflix.Declined, second.ID)
	w.charge(1, "c1", usd(111), netflix.Approved, 0)
	acked := w.charge(1, "c1", usd(599), netflix.Approved, second.ID)
	w.m.data.acks[ackKey{acked, netflix.Approved}] = netflix.Acknowledgement{ChargeID: acked, Status: netflix.Approved, ReferenceNumber: "REF-1"}
	// An acknowledgement of a status that is not current does not count.
	pendingAcked := w.charge(1, "c1", usd(599), netflix.Approved, second.ID)
	w.m.data.acks[ackKey{pendingAcked, netflix.Pending}] = netflix.Acknowledgement{ChargeID: pendingAcked, Status: netflix.Pending}
	firstPending := w.charge(1, "c1", usd(599), netflix.Pending, 0)
	for range 49 {
		w.charge(1, "c1", usd(599), netflix.Pending, 0)
	}
	w.charge(2, "c1", usd(599), netflix.Pending, 0)

	f, err := w.svc.Customer(ctx, subBy, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if f.Customer != "c1" || len(f.Subscriptions) != 2 || f.Subscriptions[0].ID != second.ID || f.Subscriptions[1].ID != first.ID {
		t.Fatalf("subscriptions %+v, want %d then %d", f.Subscriptions, second.ID, first.ID)
	}
	s0, s1 := f.Subscriptions[0], f.Subscriptions[1]
	if s0.Channel != "STORE" || s0.LifeCycleState != netflix.Effective || len(s0.Promotions) != 0 ||
		fmt.Sprint(s0.Prices) != fmt.Sprint([]money.Amount{usd(599), usd(799)}) {
		t.Errorf("latest subscription %+v", s0)
	}
	if s1.Channel != "WEB" || s1.LifeCycleState != netflix.Cancelled || len(s1.Promotions) != 1 || s1.Promotions[0].Code != "14" ||
		fmt.Sprint(s1.Prices) != fmt.Sprint([]money.Amount{usd(799)}) {
		t.Errorf("first subscription %+v", s1)
	}
	if c := f.Contact; c.FirstName != "Ann" || c.LastName != "Lee" || c.Address != address || c.Email != email || c.Phone != phone {
		t.Errorf("contact %+v, want the latest create's", c)
	}
	if len(f.Charges) != netflix.MaxFileCharges {
		t.Fatalf("%d charges, want the %d newest", len(f.Charges), netflix.MaxFileCharges)
	}
	for i := 1; i < len(f.Charges); i++ {
		if f.Charges[i].ID >= f.Charges[i-1].ID || f.Charges[i].OperatorID != 1 {
			t.Fatalf("charges not newest first, or another operator's: %d after %d", f.Charges[i].ID, f.Charges[i-1].ID)
		}
	}
	if last := f.Charges[49]; last.ID != firstPending {
		t.Errorf("oldest listed charge %d, want %d", last.ID, firstPending)
	}
	// Fewer charges: the acknowledged one shows its reference; an
	// acknowledgement of an earlier status is not one of the current.
	for id, c := range w.m.data.charges {
		if c.Status == netflix.Pending {
			delete(w.m.data.charges, id)
		}
	}
	f, _ = w.svc.Customer(ctx, subBy, "c1")
	if len(f.Charges) != 8 || f.Charges[1].ID != acked || !f.Charges[1].Acknowledged || f.Charges[1].ReferenceNumber != "REF-1" ||
		f.Charges[0].ID != pendingAcked || f.Charges[0].Acknowledged || f.Charges[2].Acknowledged {
		t.Errorf("charges %+v, want 8 with %d alone acknowledged, as REF-1", f.Charges, acked)
	}
}

// The same ENOTFOUND for a customer nobody has and another operator's,
// from every method of the care plane.
func TestCareNotKnown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	w.create(t, otherOp, netflix.CreateRequest{Customer: "theirs"})
	w.charge(2, "their-charges", eur599, netflix.Pending, 0)
	for _, customer := range []string{"theirs", "their-charges", "nobody"} {
		want := fmt.Sprintf("Customer %q is not known.", customer)
		calls := map[string]func() error{
			"Customer": func() error { _, err := w.svc.Customer(ctx, careAgent, customer); return err },
			"History":  func() error { _, err := w.svc.History(ctx, careAgent, customer); return err },
			"CareTransition": func() error {
				_, err := w.svc.CareTransition(ctx, careAgent, customer, netflix.ActionCancel, "asked")
				return err
			},
			"ReissueToken": func() error { _, err := w.svc.ReissueToken(ctx, careAgent, customer, 0); return err },
		}
		for name, call := range calls {
			err := call()
			if carebridge.ErrorCode(err) != carebridge.ENOTFOUND || carebridge.ErrorMessage(err) != want {
				t.Errorf("%s(%s): %v, want ENOTFOUND %q", name, customer, err, want)
			}
		}
		if got, err := w.svc.Find(ctx, careAgent, customer); err != nil || len(got) != 0 {
			t.Errorf("Find(%s) = %+v, %v; want nothing", customer, got, err)
		}
	}
	if w.partner.calls != 1 || len(w.rec.subs) != 1 {
		t.Fatalf("partner asked %d times, %d notifications; want none past the create", w.partner.calls, len(w.rec.subs))
	}
}

// A customer with only charges has a file and an empty history; moving
// or reissuing finds no subscription.
func TestCareChargesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	w.charge(1, "payer", eur599, netflix.Pending, 0)
	f, err := w.svc.Customer(ctx, careAgent, "payer")
	if err != nil || len(f.Subscriptions) != 0 || len(f.Charges) != 1 || f.Contact != (netflix.Contact{}) {
		t.Fatalf("file %+v, %v", f, err)
	}
	h, err := w.svc.History(ctx, careAgent, "payer")
	if err != nil || h == nil || len(h) != 0 {
		t.Fatalf("history %+v, %v; want empty", h, err)
	}
	_, err = w.svc.CareTransition(ctx, careAgent, "payer", netflix.ActionSuspend, "asked")
	if carebridge.ErrorCode(err) != carebridge.ENOTFOUND || strings.Contains(carebridge.ErrorMessage(err), "not known") {
		t.Fatalf("transition: %v, want ENOTFOUND for no subscription", err)
	}
	_, err = w.svc.ReissueToken(ctx, careAgent, "payer", 0)
	if carebridge.ErrorCode(err) != carebridge.ENOTFOUND || strings.Contains(carebridge.ErrorMessage(err), "not known") {
		t.Fatalf("reissue: %v, want ENOTFOUND for no subscription", err)
	}
}

func TestCareTransitionAndHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	sub := w.create(t, subBy, netflix.CreateRequest{Customer: "c1"})
	for _, c := range []struct {
		action netflix.Action
		reason string
		code   string
	}{
		{netflix.ActionSuspend, "", carebridge.EMISSING},
		{netflix.ActionSuspend, "  \t ", carebridge.EMISSING},
		{netflix.ActionSuspend, strings.Repeat("x", 501), carebridge.EINVALID},
		{netflix.ActionSuspend, "line\nbreak", carebridge.EINVALID},
		{netflix.ActionSuspend, "bad \xff", carebridge.EINVALID},
		{netflix.ActionCreate, "why", carebridge.EINVALID},
		{netflix.ActionReissueToken, "why", carebridge.EINVALID},
		{netflix.ActionUnsuspend, "not suspended", carebridge.ECONFLICT},
	} {
		_, err := w.svc.CareTransition(ctx, careAgent, "c1", c.action, c.reason)
		if carebridge.ErrorCode(err) != c.code {
			t.Errorf("%s %q: %v, want %s", c.action, c.reason, err, c.code)
		}
	}
	if len(w.rec.subs) != 1 || len(w.m.data.events) != 1 {
		t.Fatalf("refused transitions notified %+v or wrote events %+v", w.rec.subs[1:], w.m.data.events)
	}
	// A transition that fails when writing notifies nothing.
	w.m.fail = func(p string) error {
		if p == "InsertEvent" {
			return carebridge.Errorf(carebridge.EUNAVAILABLE, "busy")
		}
		return nil
	}
	if _, err := w.svc.CareTransition(ctx, careAgent, "c1", netflix.ActionSuspend, "asked"); carebridge.ErrorCode(err) != carebridge.EUNAVAILABLE {
		t.Fatalf("failed write: %v", err)
	}
	w.m.fail = nil
	if len(w.rec.subs) != 1 {
		t.Fatalf("a rolled-back transition notified %+v", w.rec.subs[1:])
	}

	long := strings.Repeat("é", 500)
	got, err := w.svc.CareTransition(ctx, careAgent, "c1", netflix.ActionSuspend, "  Customer asked by phone.  ")
	if err != nil || got.LifeCycleState != netflix.NotEffective {
		t.Fatalf("suspend: %+v, %v", got, err)
	}
	if _, err := w.svc.CareTransition(ctx, careAgent, "c1", netflix.ActionUnsuspend, long); err != nil {
		t.Fatalf("500 characters: %v", err)
	}
	if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionCancel); err != nil {
		t.Fatal(err)
	}
	w.rec.check(t)
	wantNotes := []netflix.SubscriptionChange{
		{OperatorID: 1, Customer: "c1", Number: sub.Number(), LifeCycleState: netflix.Effective, NetflixState: netflix.Effective, Actor: "alice"},
		{OperatorID: 1, Customer: "c1", Number: sub.Number(), LifeCycleState: netflix.NotEffective, NetflixState: netflix.NotEffective,
			Actor: "carol", Reason: "Customer asked by phone."},
		{OperatorID: 1, Customer: "c1", Number: sub.Number(), LifeCycleState: netflix.Effective, NetflixState: netflix.Effective,
			Actor: "carol", Reason: long},
		{OperatorID: 1, Customer: "c1", Number: sub.Number(), LifeCycleState: netflix.Cancelled, NetflixState: netflix.NotEffective, Actor: "alice"},
	}
	if fmt.Sprint(w.rec.subs) != fmt.Sprint(wantNotes) {
		t.Fatalf("notified %+v, want %+v", w.rec.subs, wantNotes)
	}

	h, err := w.svc.History(ctx, careAgent, "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := []netflix.HistoryEntry{
		{At: careAt, Actor: "alice", Action: netflix.ActionCreate, SubscriptionNumber: sub.Number(), To: netflix.Effective},
		{At: careAt, Actor: "carol", Action: netflix.ActionSuspend, SubscriptionNumber: sub.Number(), From: netflix.Effective, To: netflix.NotEffective,
			Reason: "Customer asked by phone.", HasReason: true},
		{At: careAt, Actor: "carol", Action: netflix.ActionUnsuspend, SubscriptionNumber: sub.Number(), From: netflix.NotEffective, To: netflix.Effective,
			Reason: long, HasReason: true},
		{At: careAt, Actor: "alice", Action: netflix.ActionCancel, SubscriptionNumber: sub.Number(), From: netflix.Effective, To: netflix.Cancelled},
	}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Fatalf("history\n%+v\nwant\n%+v", h, want)
	}
	// A second subscription's events follow, oldest first.
	sub2 := w.create(t, subBy, netflix.CreateRequest{Customer: "c1"})
	h, _ = w.svc.History(ctx, careAgent, "c1")
	if len(h) != 5 || h[4].SubscriptionNumber != sub2.Number() || h[4].Action != netflix.ActionCreate {
		t.Fatalf("history after a new subscription: %+v", h)
	}
}

func TestReissueToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	sub := w.create(t, subBy, netflix.CreateRequest{Customer: "c1"})
	notes := len(w.rec.subs)

	tok, err := w.svc.ReissueToken(ctx, careAgent, "c1", 0)
	if err != nil || tok.Token != "tok-2" || !tok.ExpiresAt.Equal(careAt.Add(netflix.DefaultValidity)) {
		t.Fatalf("token %+v, %v; want the partner's second, valid for the default", tok, err)
	}
	if got := w.m.data.tokens[sub.ID]; !got.Equal(tok.ExpiresAt) {
		t.Fatalf("stored expiry %s, want %s", got, tok.ExpiresAt)
	}
	e := w.m.data.events[len(w.m.data.events)-1]
	if e.Action != netflix.ActionReissueToken || e.From != netflix.Effective || e.To != netflix.Effective ||
		e.ActorUsername != "carol" || e.ActorUserID != 9 || e.SubscriptionID != sub.ID || e.Reason != "" {
		t.Fatalf("event %+v", e)
	}
	tok, err = w.svc.ReissueToken(ctx, careAgent, "c1", 86400*time.Second)
	if err != nil || !tok.ExpiresAt.Equal(careAt.Add(24*time.Hour)) {
		t.Fatalf("24 hours: %+v, %v", tok, err)
	}
	if len(w.rec.subs) != notes {
		t.Fatalf("a reissued token notified %+v", w.rec.subs[notes:])
	}
	// Out of create's bounds.
	calls := w.partner.calls
	for _, v := range []time.Duration{-time.Second, 86401 * time.Second, 1500 * time.Millisecond, time.Millisecond} {
		if _, err := w.svc.ReissueToken(ctx, careAgent, "c1", v); carebridge.ErrorCode(err) != carebridge.EINVALID {
			t.Errorf("validity %s: %v, want EINVALID", v, err)
		}
	}
	// Not EFFECTIVE: refused before the partner is asked.
	if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionSuspend); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ReissueToken(ctx, careAgent, "c1", 0); carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		t.Fatalf("suspended: %v, want ECONFLICT", err)
	}
	if w.partner.calls != calls {
		t.Fatalf("the partner was asked %d times for refused reissues", w.partner.calls-calls)
	}
	events := len(w.m.data.events)
	// Suspended while the partner was asked: checked again, refused.
	if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionUnsuspend); err != nil {
		t.Fatal(err)
	}
	events++
	w.partner.before = func() {
		if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionSuspend); err != nil {
			t.Error(err)
		}
	}
	if _, err := w.svc.ReissueToken(ctx, careAgent, "c1", 0); carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		t.Fatalf("suspended meanwhile: %v, want ECONFLICT", err)
	}
	events++
	// Replaced by another subscription meanwhile: refused.
	if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionUnsuspend); err != nil {
		t.Fatal(err)
	}
	events++
	w.partner.before = func() {
		w.partner.before = nil
		if _, err := w.svc.Transition(ctx, subBy, "c1", netflix.ActionCancel); err != nil {
			t.Error(err)
		}
		w.create(t, subBy, netflix.CreateRequest{Customer: "c1"})
	}
	if _, err := w.svc.ReissueToken(ctx, careAgent, "c1", 0); carebridge.ErrorCode(err) != carebridge.ECONFLICT {
		t.Fatalf("replaced meanwhile: %v, want ECONFLICT", err)
	}
	events += 2
	if len(w.m.data.events) != events {
		t.Fatalf("%d events, want %d: a refused reissue recorded one", len(w.m.data.events), events)
	}
}

// Every change is told to the Notifier once committed: creates,
// transitions, charges inserted by a report (not those sent again), and
// settlement's charges and the subscriptions it ends.
func TestNotifications(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newCareWorld()
	w.create(t, subBy, netflix.CreateRequest{Customer: "ok"})
	w.create(t, subBy, netflix.CreateRequest{Customer: "late"})
	if _, err := w.svc.Transition(ctx, subBy, "late", netflix.ActionSuspend); err != nil {
		t.Fatal(err)
	}
	w.rec.subs = nil

	charges := []netflix.NewCharge{reported("p1", "ok"), reported("p2", "late"), reported("p1", "ok")}
	res, err := w.svc.Ingest(ctx, 1, charges, "sig-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []netflix.ChargeChange{
		{OperatorID: 1, Number: netflix.ChargeNumber(res[0].ChargeID), Customer: "ok", Status: netflix.Pending},
		{OperatorID: 1, Number: netflix.ChargeNumber(res[1].ChargeID), Customer: "late", Status: netflix.Pending},
	}
	if fmt.Sprint(w.rec.charges) != fmt.Sprint(want) {
		t.Fatalf("intake notified %+v, want %+v", w.rec.charges, want)
	}
	// The same report again, and another with a charge stored before.
	if _, err := w.svc.Ingest(ctx, 1, charges, "sig-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Ingest(ctx, 1, charges[:1], "sig-2"); err != nil {
		t.Fatal(err)
	}
	if len(w.rec.charges) != 2 {
		t.Fatalf("charges stored before notified again: %+v", w.rec.charges[2:])
	}
	w.rec.charges = nil

	p := netflix.NewProcessor(w.svc.Store, func() time.Time { return careAt }, time.Hour, slog.New(slog.DiscardHandler))
	p.Notifier = w.rec
	// A failed batch notifies nothing.
	w.m.fail = func(s string) error {
		if s == "InsertEvent" {
			return carebridge.Errorf(carebridge.EINTERNAL, "disk full")
		}
		return nil
	}
	if _, err := p.Drain(ctx); err == nil {
		t.Fatal("drain succeeded with a failing store")
	}
	if len(w.rec.charges)+len(w.rec.subs) != 0 {
		t.Fatalf("a rolled-back batch notified %+v %+v", w.rec.charges, w.rec.subs)
	}
	w.m.fail = nil
	if n, err := p.Drain(ctx); err != nil || n != 2 {
		t.Fatalf("drained %d, %v", n, err)
	}
	w.rec.check(t)
	wantCharges := []netflix.ChargeChange{
		{OperatorID: 1, Number: netflix.ChargeNumber(res[0].ChargeID), Customer: "ok", Status: netflix.Approved},
		{OperatorID: 1, Number: netflix.ChargeNumber(res[1].ChargeID), Customer: "late", Status: netflix.Declined},
	}
	late := w.m.latestOf(1, "late")
	wantSubs := []netflix.SubscriptionChange{{OperatorID: 1, Customer: "late", Number: late.Number(),
		LifeCycleState: netflix.Cancelled, NetflixState: netflix.NotEffective, Actor: netflix.SettlementActor,
		Reason: "Charge " + netflix.ChargeNumber(res[1].ChargeID) + " settled DECLINED."}}
	if fmt.Sprint(w.rec.charges) != fmt.Sprint(wantCharges) || fmt.Sprint(w.rec.subs) != fmt.Sprint(wantSubs) {
		t.Fatalf("settlement notified %+v and %+v, want %+v and %+v", w.rec.charges, w.rec.subs, wantCharges, wantSubs)
	}
	h, _ := w.svc.History(ctx, careAgent, "late")
	if last := h[len(h)-1]; last.Actor != netflix.SettlementActor || !last.HasReason || last.Reason != wantSubs[0].Reason {
		t.Fatalf("settlement's history entry %+v", last)
	}
}
