package partnerapi_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/apitest"
	"carebridge/internal/host"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
	"carebridge/internal/partnerapi"
	"carebridge/internal/server"
	"carebridge/internal/signature"
	"carebridge/internal/testserver"
)

// t0 is the server's clock at the start of every test: a whole second, so
// a signature's timestamp (unix seconds) is exactly the clock.
var t0 = time.Date(2017, 2, 4, 10, 0, 0, 0, time.UTC)

// fixture is a real server on a real SQLite file with one organisation and
// one operator whose partner secret is known.
type fixture struct {
	tb     testing.TB
	url    string
	client *http.Client
	app    *server.Server
	stores *server.Stores
	clock  *testserver.Clock
	org    carebridge.Organisation
	op     carebridge.Operator
	secret string
}

func setup(tb testing.TB) *fixture {
	tb.Helper()
	clk := testserver.NewClock(t0)
	// The processor's idle interval is long: in these tests only a kick
	// (or an explicit Drain) settles charges.
	s := testserver.Start(tb, server.Config{Now: clk.Now, SettleInterval: time.Hour})
	org, err := s.Stores.Tenancy.CreateOrganisation(context.Background(), "acme", t0)
	if err != nil {
		tb.Fatal(err)
	}
	client := s.HTTP.Client()
	if t, ok := tb.(*testing.T); ok {
		// Tests check every exchange against docs/openapi.json; benchmarks
		// measure the face alone.
		client = &http.Client{Transport: apitest.Transport(t, client.Transport)}
	}
	f := &fixture{tb: tb, url: s.HTTP.URL + partnerapi.Path, client: client, app: s.App, stores: s.Stores, clock: clk, org: org}
	f.op, f.secret = f.addOperator("op1")
	return f
}

// addOperator creates an operator of the fixture's organisation and returns
// it with its partner secret.
func (f *fixture) addOperator(name string) (carebridge.Operator, string) {
	f.tb.Helper()
	ctx := context.Background()
	op, err := f.stores.Tenancy.CreateOperator(ctx, carebridge.Operator{OrganisationID: f.org.ID, Name: name, CreatedAt: t0})
	if err != nil {
		f.tb.Fatal(err)
	}
	secret, err := f.stores.Tenancy.PartnerSecret(ctx, op.ID)
	if err != nil {
		f.tb.Fatal(err)
	}
	if len(secret) != 64 {
		f.tb.Fatalf("partner secret %q is not 64 hex digits", secret)
	}
	return op, secret
}

// answer is one HTTP answer.
type answer struct {
	status int
	header http.Header
	raw    []byte
}

// send posts body with the given header values; "" leaves a header out.
func (f *fixture) send(method, operator, signature string, body []byte) answer {
	f.tb.Helper()
	req, err := http.NewRequest(method, f.url, bytes.NewReader(body))
	if err != nil {
		f.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if operator != "" {
		req.Header.Set(partnerapi.OperatorHeader, operator)
	}
	if signature != "" {
		req.Header.Set(partnerapi.SignatureHeader, signature)
	}
	res, err := f.client.Do(req)
	if err != nil {
		f.tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		f.tb.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		f.tb.Fatalf("Content-Type %q, want application/json; body %s", ct, raw)
	}
	return answer{status: res.StatusCode, header: res.Header, raw: raw}
}

// post signs body for an operator with secret at the server's current time.
func (f *fixture) post(op int64, secret string, body []byte) answer {
	f.tb.Helper()
	return f.send(http.MethodPost, strconv.FormatInt(op, 10), signature.Sign(secret, f.clock.Now(), body), body)
}

// report posts body for the fixture's operator.
func (f *fixture) report(body []byte) answer {
	f.tb.Helper()
	return f.post(f.op.ID, f.secret, body)
}

type result struct {
	PartnerChargeID string  `json:"partner_charge_id"`
	Status          string  `json:"status"`
	Number          *string `json:"number"`
	Error           *string `json:"error"`
}

var numberRE = regexp.MustCompile(`^I\d{8}$`)

// results checks a 200 answer and decodes its results strictly.
func results(tb testing.TB, a answer) []result {
	tb.Helper()
	if a.status != http.StatusOK {
		tb.Fatalf("HTTP %d, want 200: %s", a.status, a.raw)
	}
	var body struct {
		Results []result `json:"results"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		tb.Fatalf("answer is not {\"results\": [...]}: %v\n%s", err, a.raw)
	}
	for i, r := range body.Results {
		switch r.Status {
		case "created", "duplicate":
			if r.Number == nil || !numberRE.MatchString(*r.Number) || r.Error != nil {
				tb.Errorf("result %d: %s with number %v and error %v", i, r.Status, deref(r.Number), deref(r.Error))
			}
		case "rejected":
			if r.Number != nil || r.Error == nil || *r.Error == "" {
				tb.Errorf("result %d: rejected with number %v and error %v", i, deref(r.Number), deref(r.Error))
			}
		default:
			tb.Errorf("result %d: status %q", i, r.Status)
		}
	}
	return body.Results
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return strconv.Quote(*s)
}

// wantError checks an error answer: status, {"error": {"code", "message"}}
// and nothing else.
func wantError(tb testing.TB, a answer, status int, code string) string {
	tb.Helper()
	if a.status != status {
		tb.Fatalf("HTTP %d, want %d: %s", a.status, status, a.raw)
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		tb.Fatalf("answer is not an error body: %v\n%s", err, a.raw)
	}
	if body.Error.Code != code {
		tb.Fatalf("error code %q, want %q: %s", body.Error.Code, code, a.raw)
	}
	if body.Error.Message == "" {
		tb.Fatalf("error without a message: %s", a.raw)
	}
	return body.Error.Message
}

// charge is a valid reported charge; tests change its fields.
func charge(id, customer string) map[string]any {
	return map[string]any{
		"partner_charge_id":                  id,
		"billing_system_customer_identifier": customer,
		"amount":                             json.Number("5.99"),
		"currency":                           "USD",
		"received_on":                        "2017-02-04T02:00:00",
	}
}

// reportOf marshals {"charges": items}.
func reportOf(tb testing.TB, items ...any) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]any{"charges": items})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// manyCharges is a report of n valid charges with partner ids prefix-0…
func manyCharges(tb testing.TB, prefix string, n int) []byte {
	tb.Helper()
	items := make([]any, n)
	for i := range items {
		items[i] = charge(fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("cust-%d", i%7))
	}
	return reportOf(tb, items...)
}

// list returns every unacknowledged charge of an operator in one class.
func (f *fixture) list(op int64, processed bool) []netflix.Charge {
	f.tb.Helper()
	cs, err := f.stores.Netflix.UnacknowledgedCharges(context.Background(), op, netflix.ListRequest{Processed: processed, Limit: 100000})
	if err != nil {
		f.tb.Fatal(err)
	}
	return cs
}

// count is how many charges an operator has (none is acknowledged in these
// tests, so every charge is listed in one class or the other).
func (f *fixture) count(op int64) int {
	f.tb.Helper()
	return len(f.list(op, false)) + len(f.list(op, true))
}

// byPartnerID indexes charges by their partner id.
func byPartnerID(tb testing.TB, cs []netflix.Charge) map[string]netflix.Charge {
	tb.Helper()
	m := map[string]netflix.Charge{}
	for _, c := range cs {
		if _, dup := m[c.PartnerChargeID]; dup {
			tb.Fatalf("partner charge id %q stored twice", c.PartnerChargeID)
		}
		m[c.PartnerChargeID] = c
	}
	return m
}

// threeCharges is a report of three charges exercising every field.
func threeCharges(tb testing.TB) []byte {
	tb.Helper()
	c1 := charge("p-1", "cust-1")
	c1["local_currency_amount"] = json.Number("5.5")
	c1["local_currency"] = "EUR"
	c1["paid_through_date"] = "2017-03-04T02:00:00"
	c2 := charge("p-2", "cust-2")
	c2["amount"], c2["currency"] = json.Number("500"), "JPY"
	c2["received_on"] = "2017-02-04T04:30:00+02:00"
	c3 := charge("p-3", "cust-1")
	c3["amount"] = json.Number("12")
	c3["local_currency_amount"], c3["local_currency"] = json.Number("1.234"), "BHD"
	c3["paid_through_date"] = "2017-03-01T00:00:00Z"
	c3["received_on"] = "2017-02-03T23:00:00-05:00"
	return reportOf(tb, c1, c2, c3)
}

func TestIntakeCreatesPendingCharges(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rs := results(t, f.report(threeCharges(t)))
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3", len(rs))
	}
	numbers := map[string]string{}
	for i, want := range []string{"p-1", "p-2", "p-3"} {
		r := rs[i]
		if r.PartnerChargeID != want || r.Status != "created" {
			t.Fatalf("result %d: %+v, want %s created", i, r, want)
		}
		numbers[want] = *r.Number
	}
	if numbers["p-1"] == numbers["p-2"] || numbers["p-2"] == numbers["p-3"] || numbers["p-1"] == numbers["p-3"] {
		t.Fatalf("numbers are not distinct: %v", numbers)
	}

	pending := f.list(f.op.ID, false)
	if len(pending) != 3 {
		t.Fatalf("%d PENDING charges, want 3: %+v", len(pending), pending)
	}
	// Oldest received_on first: p-1 02:00, p-2 02:30, p-3 04:00 (UTC).
	for i, want := range []string{"p-1", "p-2", "p-3"} {
		if pending[i].PartnerChargeID != want {
			t.Errorf("listed charge %d is %q, want %q", i, pending[i].PartnerChargeID, want)
		}
	}
	utc := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	want := map[string]netflix.Charge{
		"p-1": {Customer: "cust-1", Amount: money.Amount{Minor: 599, Currency: "USD"}, LocalAmount: money.Amount{Minor: 550, Currency: "EUR"},
			PaidThroughDate: utc("2017-03-04T02:00:00Z"), ReceivedOn: utc("2017-02-04T02:00:00Z")},
		"p-2": {Customer: "cust-2", Amount: money.Amount{Minor: 500, Currency: "JPY"},
			ReceivedOn: utc("2017-02-04T02:30:00Z")},
		"p-3": {Customer: "cust-1", Amount: money.Amount{Minor: 1200, Currency: "USD"}, LocalAmount: money.Amount{Minor: 1234, Currency: "BHD"},
			PaidThroughDate: utc("2017-03-01T00:00:00Z"), ReceivedOn: utc("2017-02-04T04:00:00Z")},
	}
	for id, c := range byPartnerID(t, pending) {
		w, ok := want[id]
		if !ok {
			t.Errorf("unexpected charge %q", id)
			continue
		}
		if c.Number() != numbers[id] {
			t.Errorf("%s: stored as %s, answered %s", id, c.Number(), numbers[id])
		}
		if c.OperatorID != f.op.ID || c.Status != netflix.Pending || c.Customer != w.Customer {
			t.Errorf("%s: operator %d status %s customer %q, want %d PENDING %q", id, c.OperatorID, c.Status, c.Customer, f.op.ID, w.Customer)
		}
		if c.Amount != w.Amount || c.LocalAmount != w.LocalAmount {
			t.Errorf("%s: amount %+v local %+v, want %+v %+v", id, c.Amount, c.LocalAmount, w.Amount, w.LocalAmount)
		}
		if !c.ReceivedOn.Equal(w.ReceivedOn) || c.ReceivedOn.Location() != time.UTC {
			t.Errorf("%s: received_on %v, want %v", id, c.ReceivedOn, w.ReceivedOn)
		}
		if !c.PaidThroughDate.Equal(w.PaidThroughDate) || (!w.PaidThroughDate.IsZero() && c.PaidThroughDate.Location() != time.UTC) {
			t.Errorf("%s: paid_through_date %v, want %v", id, c.PaidThroughDate, w.PaidThroughDate)
		}
		if !c.ApprovedOn.IsZero() || !c.DeclinedOn.IsZero() || !c.BadRequestOn.IsZero() || !c.RejectedOn.IsZero() {
			t.Errorf("%s: a PENDING charge has a settlement date: %+v", id, c)
		}
	}
	if n := len(f.list(f.op.ID, true)); n != 0 {
		t.Errorf("%d processed charges before the processor ran", n)
	}
}

// specSign signs as the specification words it, independently of Sign:
// "t=<unix seconds>,v1=<hex>", HMAC-SHA256 keyed with the secret's text
// over "<t>." + body.
func specSign(secret string, at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

func TestSignatureAsSpecified(t *testing.T) {
	t.Parallel()
	body := []byte(`{"charges": []}`)
	if got, want := signature.Sign("s3cret", t0, body), specSign("s3cret", t0, body); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	if got := signature.Sign("s3cret", t0, body); !strings.HasPrefix(got, "t=1486202400,v1=") {
		t.Errorf("Sign = %q, want t=1486202400,v1=…", got)
	}

	// A partner implementing the specification is accepted.
	f := setup(t)
	body = manyCharges(t, "spec", 2)
	rs := results(t, f.send(http.MethodPost, strconv.FormatInt(f.op.ID, 10), specSign(f.secret, t0, body), body))
	if len(rs) != 2 || rs[0].Status != "created" || rs[1].Status != "created" {
		t.Errorf("results %+v", rs)
	}
}

func TestIntakeResignedReportIsDuplicate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := threeCharges(t)
	first := results(t, f.report(body))
	f.clock.Advance(time.Second) // a new timestamp, so a new signature
	again := results(t, f.report(body))
	if len(again) != len(first) {
		t.Fatalf("%d results, want %d", len(again), len(first))
	}
	for i := range first {
		if again[i].PartnerChargeID != first[i].PartnerChargeID || again[i].Status != "duplicate" || *again[i].Number != *first[i].Number {
			t.Errorf("result %d: %+v (number %s), want duplicate of %s", i, again[i], deref(again[i].Number), *first[i].Number)
		}
	}
	if n := f.count(f.op.ID); n != 3 {
		t.Errorf("%d charges stored, want 3", n)
	}
}

// A client that retries after a timeout sends the same bytes and the same
// signature: inside the window it gets the first answer again, item for
// item ("created" with the same numbers), and stores nothing new.
func TestIntakeResentReport(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := manyCharges(t, "r", 2)
	op := strconv.FormatInt(f.op.ID, 10)
	sig := signature.Sign(f.secret, f.clock.Now(), body)
	first := results(t, f.send(http.MethodPost, op, sig, body))
	if len(first) != 2 || first[0].Status != "created" || first[1].Status != "created" {
		t.Fatalf("first delivery: %+v", first)
	}
	ts, v1, _ := strings.Cut(sig, ",")
	f.clock.Advance(4 * time.Minute) // still inside the window
	t.Run("resent", func(t *testing.T) {
		for name, header := range map[string]string{
			"same header":     sig,
			"upper-case hex":  ts + ",v1=" + strings.ToUpper(strings.TrimPrefix(v1, "v1=")),
			"parts reordered": v1 + "," + ts,
			"spaces":          ts + ", " + v1,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				again := results(t, f.send(http.MethodPost, op, header, body))
				if len(again) != len(first) {
					t.Fatalf("%d results, want %d", len(again), len(first))
				}
				for i := range first {
					if again[i].PartnerChargeID != first[i].PartnerChargeID || again[i].Status != first[i].Status ||
						*again[i].Number != *first[i].Number || again[i].Error != nil {
						t.Errorf("result %d: %+v (number %s), want the first answer's %s", i, again[i], deref(again[i].Number), *first[i].Number)
					}
				}
			})
		}
	})
	if n := f.count(f.op.ID); n != 2 {
		t.Errorf("%d charges stored, want 2", n)
	}

	altered := bytes.Replace(body, []byte(`"r-1"`), []byte(`"r-9"`), 1)
	wantError(t, f.send(http.MethodPost, op, sig, altered), http.StatusUnauthorized, "invalid_signature")
	f.clock.Advance(time.Minute + time.Second) // 5m01s after signing
	if msg := wantError(t, f.send(http.MethodPost, op, sig, body), http.StatusUnauthorized, "invalid_signature"); !strings.Contains(msg, "5 minutes") {
		t.Errorf("stale re-send: message %q does not say the window", msg)
	}
	if n := f.count(f.op.ID); n != 2 {
		t.Errorf("%d charges stored, want 2", n)
	}
}

// A re-sent report of charges already settled leaves them settled: nothing
// goes back to PENDING and no charge is added.
func TestIntakeResentReportAfterSettlement(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := manyCharges(t, "n", 3)
	op := strconv.FormatInt(f.op.ID, 10)
	sig := signature.Sign(f.secret, f.clock.Now(), body)
	first := results(t, f.send(http.MethodPost, op, sig, body))
	if _, err := f.app.Processor.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	settled := f.list(f.op.ID, true)
	again := results(t, f.send(http.MethodPost, op, sig, body))
	for i := range first {
		if again[i].Status != "created" || *again[i].Number != *first[i].Number {
			t.Errorf("result %d: %+v, want the first answer: created as %s", i, again[i], *first[i].Number)
		}
	}
	if n := len(f.list(f.op.ID, false)); n != 0 {
		t.Errorf("%d PENDING charges after a re-send, want 0", n)
	}
	for _, c := range settled {
		events, err := f.stores.Netflix.ChargeEvents(context.Background(), f.op.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 {
			t.Errorf("charge %s has %d events after a re-send, want 2 (reported, settled)", c.Number(), len(events))
		}
	}
	if n := f.count(f.op.ID); n != 3 {
		t.Errorf("%d charges stored, want 3", n)
	}
}

func TestIntakeBadSignature(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other, otherSecret := f.addOperator("op2")
	now := f.clock.Now()
	op := strconv.FormatInt(f.op.ID, 10)
	rawSecret, err := hex.DecodeString(f.secret)
	if err != nil {
		t.Fatal(err)
	}
	type request struct{ operator, signature, body string }
	cases := map[string]func(body []byte) request{
		"wrong secret": func(b []byte) request {
			return request{op, signature.Sign(strings.Repeat("ab", 32), now, b), string(b)}
		},
		"secret as bytes, not text": func(b []byte) request {
			return request{op, signature.Sign(string(rawSecret), now, b), string(b)}
		},
		"body altered by one byte": func(b []byte) request {
			sig := signature.Sign(f.secret, now, b)
			altered := bytes.Replace(b, []byte("5.99"), []byte("5.98"), 1)
			return request{op, sig, string(altered)}
		},
		"timestamp altered": func(b []byte) request {
			sig := signature.Sign(f.secret, now, b)
			_, v1, _ := strings.Cut(sig, ",")
			return request{op, "t=" + strconv.FormatInt(now.Unix()-1, 10) + "," + v1, string(b)}
		},
		"v1 not hex": func(b []byte) request {
			return request{op, "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + strings.Repeat("zz", 32), string(b)}
		},
		"v1 empty": func(b []byte) request {
			return request{op, "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=", string(b)}
		},
		"v1 missing": func(b []byte) request {
			return request{op, "t=" + strconv.FormatInt(now.Unix(), 10), string(b)}
		},
		"t missing": func(b []byte) request {
			_, v1, _ := strings.Cut(signature.Sign(f.secret, now, b), ",")
			return request{op, v1, string(b)}
		},
		"t not a number": func(b []byte) request {
			_, v1, _ := strings.Cut(signature.Sign(f.secret, now, b), ",")
			return request{op, "t=now," + v1, string(b)}
		},
		"signature header missing": func(b []byte) request {
			return request{op, "", string(b)}
		},
		"operator header missing": func(b []byte) request {
			return request{"", signature.Sign(f.secret, now, b), string(b)}
		},
		"operator header not a number": func(b []byte) request {
			return request{"op1", signature.Sign(f.secret, now, b), string(b)}
		},
		"operator header zero": func(b []byte) request {
			return request{"0", signature.Sign(f.secret, now, b), string(b)}
		},
		"operator header negative": func(b []byte) request {
			return request{"-1", signature.Sign(f.secret, now, b), string(b)}
		},
		"unknown operator": func(b []byte) request {
			return request{"999999", signature.Sign(f.secret, now, b), string(b)}
		},
		"unknown operator, empty secret": func(b []byte) request {
			return request{"999999", signature.Sign("", now, b), string(b)}
		},
		"another operator's id with this secret": func(b []byte) request {
			return request{strconv.FormatInt(other.ID, 10), signature.Sign(f.secret, now, b), string(b)}
		},
		"this operator's id with another's secret": func(b []byte) request {
			return request{op, signature.Sign(otherSecret, now, b), string(b)}
		},
	}
	var mu sync.Mutex
	messages := map[string]string{}
	t.Run("cases", func(t *testing.T) {
		i := 0
		for name, build := range cases {
			i++
			body := manyCharges(t, fmt.Sprintf("bad%d", i), 3)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				req := build(body)
				msg := wantError(t, f.send(http.MethodPost, req.operator, req.signature, []byte(req.body)), http.StatusUnauthorized, "invalid_signature")
				mu.Lock()
				messages[name] = msg
				mu.Unlock()
			})
		}
	})
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored for op1 by badly signed reports", n)
	}
	if n := f.count(other.ID); n != 0 {
		t.Errorf("%d charges stored for op2 by badly signed reports", n)
	}
	// One answer for every failure: nothing tells an operator id that
	// exists from one that does not.
	if a, b := messages["unknown operator"], messages["wrong secret"]; a != b || a == "" {
		t.Errorf("unknown operator answers %q, wrong secret %q", a, b)
	}

	// The same reports, signed properly, are accepted: the refusals were
	// about the signature alone.
	rs := results(t, f.report(manyCharges(t, "good", 3)))
	if len(rs) != 3 || f.count(f.op.ID) != 3 {
		t.Errorf("a well-signed report: %+v, %d stored", rs, f.count(f.op.ID))
	}
}

func TestIntakeTimestampWindow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		name   string
		offset time.Duration // of the signature's timestamp from the server's clock
		ok     bool
	}{
		{"now", 0, true},
		{"exactly 5m old", -5 * time.Minute, true},
		{"exactly 5m ahead", 5 * time.Minute, true},
		{"5m01s old", -(5*time.Minute + time.Second), false},
		{"5m01s ahead", 5*time.Minute + time.Second, false},
		{"a day old", -24 * time.Hour, false},
		{"a day ahead", 24 * time.Hour, false},
	}
	want := 0
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			if c.ok {
				want++
			}
			body := manyCharges(t, fmt.Sprintf("w%d", i), 1)
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				sig := signature.Sign(f.secret, t0.Add(c.offset), body)
				a := f.send(http.MethodPost, strconv.FormatInt(f.op.ID, 10), sig, body)
				if c.ok {
					if rs := results(t, a); rs[0].Status != "created" {
						t.Errorf("%+v", rs)
					}
					return
				}
				if msg := wantError(t, a, http.StatusUnauthorized, "invalid_signature"); !strings.Contains(msg, "5 minutes") {
					t.Errorf("message %q does not say the window", msg)
				}
			})
		}
	})
	if n := f.count(f.op.ID); n != want {
		t.Errorf("%d charges stored, want %d", n, want)
	}
}

func TestIntakeItemProblems(t *testing.T) {
	t.Parallel()
	f := setup(t)
	with := func(id string, change func(c map[string]any)) map[string]any {
		c := charge(id, "cust-"+id)
		change(c)
		return c
	}
	type bad struct {
		item  any
		words []string // the error must name these
	}
	bads := []bad{
		{with("b-str", func(c map[string]any) { c["amount"] = "5.99" }), []string{"amount", "number"}},
		{with("b-float", func(c map[string]any) { c["amount"] = json.Number("5.989999771118164") }), []string{"amount", "decimals"}},
		{with("b-neg", func(c map[string]any) { c["amount"] = json.Number("-5.99") }), []string{"amount", "negative"}},
		{with("b-cur", func(c map[string]any) { c["currency"] = "XYZ" }), []string{"XYZ", "currency"}},
		{with("b-lower", func(c map[string]any) { c["currency"] = "usd" }), []string{"usd"}},
		{with("b-jpy", func(c map[string]any) { c["amount"], c["currency"] = json.Number("500.5"), "JPY" }), []string{"amount", "JPY"}},
		{with("b-local", func(c map[string]any) { c["local_currency_amount"] = json.Number("5.5") }), []string{"local_currency"}},
		{with("b-localcur", func(c map[string]any) { c["local_currency"] = "EUR" }), []string{"local_currency_amount"}},
		{with("b-localneg", func(c map[string]any) {
			c["local_currency_amount"], c["local_currency"] = json.Number("-1"), "EUR"
		}), []string{"local_currency_amount", "negative"}},
		{with("b-norecv", func(c map[string]any) { delete(c, "received_on") }), []string{"received_on"}},
		{with("b-badrecv", func(c map[string]any) { c["received_on"] = "04/02/2017" }), []string{"received_on"}},
		{with("b-badpaid", func(c map[string]any) { c["paid_through_date"] = json.Number("1486173600") }), []string{"paid_through_date"}},
		{with("b-nocust", func(c map[string]any) { delete(c, "billing_system_customer_identifier") }), []string{"billing_system_customer_identifier"}},
		{with("b-spacecust", func(c map[string]any) { c["billing_system_customer_identifier"] = " cust" }), []string{"billing_system_customer_identifier"}},
		{with("b-noamount", func(c map[string]any) { delete(c, "amount") }), []string{"amount"}},
		{with("b-nocur", func(c map[string]any) { delete(c, "currency") }), []string{"currency"}},
		{with("b-field", func(c map[string]any) { c["colour"] = "red" }), []string{"colour"}},
		{with("", func(c map[string]any) {}), []string{"partner_charge_id"}},
		{with(strings.Repeat("x", 129), func(c map[string]any) {}), []string{"partner_charge_id", "128"}},
		{json.RawMessage(`42`), []string{"object"}},
	}
	items := []any{charge("g-1", "cust-1")}
	for _, b := range bads {
		items = append(items, b.item)
	}
	items = append(items, charge("g-2", "cust-2"))
	rs := results(t, f.report(reportOf(t, items...)))
	if len(rs) != len(items) {
		t.Fatalf("%d results, want %d", len(rs), len(items))
	}
	for i, b := range bads {
		r := rs[i+1]
		if r.Status != "rejected" {
			t.Errorf("item %d (%s): %s, want rejected", i+1, r.PartnerChargeID, r.Status)
			continue
		}
		if m, ok := b.item.(map[string]any); ok && r.PartnerChargeID != m["partner_charge_id"] {
			t.Errorf("item %d: partner_charge_id %q, want %q", i+1, r.PartnerChargeID, m["partner_charge_id"])
		}
		for _, w := range b.words {
			if !strings.Contains(*r.Error, w) {
				t.Errorf("item %d (%s): error %q does not name %q", i+1, r.PartnerChargeID, *r.Error, w)
			}
		}
	}
	first, last := rs[0], rs[len(rs)-1]
	if first.PartnerChargeID != "g-1" || first.Status != "created" || last.PartnerChargeID != "g-2" || last.Status != "created" {
		t.Fatalf("good items: %+v, %+v", first, last)
	}
	stored := byPartnerID(t, f.list(f.op.ID, false))
	if len(stored) != 2 || stored["g-1"].Number() != *first.Number || stored["g-2"].Number() != *last.Number {
		t.Errorf("stored %+v, want only g-1 %s and g-2 %s", stored, *first.Number, *last.Number)
	}
}

func TestIntakeEveryItemRejected(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bad := charge("b-1", "cust-1")
	bad["amount"] = "5.99"
	noRecv := charge("b-2", "cust-2")
	delete(noRecv, "received_on")
	rs := results(t, f.report(reportOf(t, bad, noRecv)))
	if len(rs) != 2 || rs[0].Status != "rejected" || rs[1].Status != "rejected" {
		t.Fatalf("results %+v, want two rejected", rs)
	}
	if !strings.Contains(*rs[0].Error, "amount") || !strings.Contains(*rs[1].Error, "received_on") {
		t.Errorf("errors %q, %q", *rs[0].Error, *rs[1].Error)
	}
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored, want 0", n)
	}
}

func TestIntakeReportProblems(t *testing.T) {
	t.Parallel()
	f := setup(t)
	good := string(manyCharges(t, "x", 1))
	inner := strings.TrimSuffix(strings.TrimPrefix(good, `{"charges":`), `}`)
	cases := map[string]string{
		"not JSON":              `{"charges": [`,
		"not an object":         `[` + inner + `]`,
		"null":                  `null`,
		"a string":              `"charges"`,
		"empty":                 ``,
		"no charges":            `{}`,
		"charges null":          `{"charges": null}`,
		"charges an object":     `{"charges": {"a": 1}}`,
		"charges a string":      `{"charges": "x"}`,
		"zero items":            `{"charges": []}`,
		"1001 items":            string(manyCharges(t, "big", 1001)),
		"extra top-level field": `{"charges": ` + inner + `, "operator": 1}`,
		"trailing data":         good + ` {}`,
		"misspelt charges":      `{"Charges": ` + inner + `}`,
	}
	t.Run("cases", func(t *testing.T) {
		for name, body := range cases {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				wantError(t, f.report([]byte(body)), http.StatusBadRequest, "invalid_report")
			})
		}
	})
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored by refused reports", n)
	}
}

func TestIntakeThousandCharges(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rs := results(t, f.report(manyCharges(t, "k", netflix.MaxChargesPerReport)))
	if len(rs) != 1000 {
		t.Fatalf("%d results, want 1000", len(rs))
	}
	seen := map[string]bool{}
	for i, r := range rs {
		if r.Status != "created" || r.PartnerChargeID != fmt.Sprintf("k-%d", i) {
			t.Fatalf("result %d: %+v", i, r)
		}
		if seen[*r.Number] {
			t.Fatalf("number %s given twice", *r.Number)
		}
		seen[*r.Number] = true
	}
	if n := len(f.list(f.op.ID, false)); n != 1000 {
		t.Errorf("%d PENDING charges, want 1000", n)
	}
}

func TestIntakeTooLarge(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := append([]byte(`{"charges": [`), bytes.Repeat([]byte(" "), partnerapi.MaxBodyBytes)...)
	body = append(body, manyCharges(t, "l", 1)[len(`{"charges":[`):]...)
	wantError(t, f.report(body), http.StatusRequestEntityTooLarge, "report_too_large")
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored", n)
	}
}

func TestIntakeMethod(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := manyCharges(t, "m", 1)
	sig := signature.Sign(f.secret, f.clock.Now(), body)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		var b []byte
		if method != http.MethodGet {
			b = body
		}
		a := f.send(method, strconv.FormatInt(f.op.ID, 10), sig, b)
		wantError(t, a, http.StatusMethodNotAllowed, "method_not_allowed")
		if allow := a.header.Get("Allow"); allow != http.MethodPost {
			t.Errorf("%s: Allow %q, want POST", method, allow)
		}
	}
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored", n)
	}
	// The signature was not spent by the refused methods.
	results(t, f.send(http.MethodPost, strconv.FormatInt(f.op.ID, 10), sig, body))
}

func TestIntakePluginDeactivated(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if _, err := f.app.Host.SetState(netflix.Callsign, host.Deactivated); err != nil {
		t.Fatal(err)
	}
	body := manyCharges(t, "d", 2)
	sig := signature.Sign(f.secret, f.clock.Now(), body)
	op := strconv.FormatInt(f.op.ID, 10)
	wantError(t, f.send(http.MethodPost, op, sig, body), http.StatusServiceUnavailable, "service_unavailable")
	if n := f.count(f.op.ID); n != 0 {
		t.Errorf("%d charges stored while deactivated", n)
	}
	if _, err := f.app.Host.SetState(netflix.Callsign, host.Activated); err != nil {
		t.Fatal(err)
	}
	// The refused delivery did not spend its signature.
	if rs := results(t, f.send(http.MethodPost, op, sig, body)); rs[0].Status != "created" || rs[1].Status != "created" {
		t.Errorf("after reactivation: %+v", rs)
	}
}

func TestIntakeSameIDTwiceInOneReport(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// The same charge twice is a duplicate; the same id with another
	// amount is a partner error, refused rather than taken for a retry.
	other := charge("p-1", "cust-1")
	other["amount"] = json.Number("6.99")
	rs := results(t, f.report(reportOf(t, charge("p-1", "cust-1"), charge("p-2", "cust-2"), charge("p-1", "cust-1"), other)))
	if len(rs) != 4 || rs[0].Status != "created" || rs[1].Status != "created" || rs[2].Status != "duplicate" || rs[3].Status != "rejected" {
		t.Fatalf("results %+v", rs)
	}
	if *rs[2].Number != *rs[0].Number || *rs[1].Number == *rs[0].Number || rs[3].Number != nil {
		t.Errorf("numbers %+v, want the first and the third equal and none for the fourth", rs)
	}
	if !strings.Contains(*rs[3].Error, "reported before as "+*rs[0].Number) {
		t.Errorf("rejection %q does not name the earlier charge", *rs[3].Error)
	}
	stored := byPartnerID(t, f.list(f.op.ID, false))
	if len(stored) != 2 || stored["p-1"].Amount.Minor != 599 {
		t.Errorf("stored %+v, want p-1 once, at 5.99", stored)
	}
}

func TestIntakeSameIDAtTwoOperators(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other, otherSecret := f.addOperator("op2")
	body := reportOf(t, charge("p-1", "cust-1"))
	a := results(t, f.report(body))
	b := results(t, f.post(other.ID, otherSecret, body))
	if a[0].Status != "created" || b[0].Status != "created" || *a[0].Number == *b[0].Number {
		t.Fatalf("op1 %+v %s, op2 %+v %s: want two created charges", a[0], *a[0].Number, b[0], *b[0].Number)
	}
	for _, c := range []struct {
		op     int64
		number string
	}{{f.op.ID, *a[0].Number}, {other.ID, *b[0].Number}} {
		cs := f.list(c.op, false)
		if len(cs) != 1 || cs[0].Number() != c.number || cs[0].OperatorID != c.op || cs[0].PartnerChargeID != "p-1" {
			t.Errorf("operator %d: %+v, want one charge %s", c.op, cs, c.number)
		}
	}
}

func TestIntakeThenDrainSettles(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rs := results(t, f.report(threeCharges(t)))
	f.clock.Advance(time.Minute)
	n, err := f.app.Processor.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("drained %d charges, want 3", n)
	}
	if p := f.list(f.op.ID, false); len(p) != 0 {
		t.Errorf("%d charges still PENDING", len(p))
	}
	done := byPartnerID(t, f.list(f.op.ID, true))
	if len(done) != 3 {
		t.Fatalf("%d processed charges, want 3", len(done))
	}
	for _, r := range rs {
		c := done[r.PartnerChargeID]
		if c.Number() != *r.Number || c.Status != netflix.BadRequest || !c.BadRequestOn.Equal(t0.Add(time.Minute)) {
			t.Errorf("%s: %s %s set on %v, want %s BAD_REQUEST on %v", r.PartnerChargeID, c.Number(), c.Status, c.BadRequestOn, *r.Number, t0.Add(time.Minute))
		}
		if !c.ApprovedOn.IsZero() || !c.DeclinedOn.IsZero() || !c.RejectedOn.IsZero() {
			t.Errorf("%s: other settlement dates set: %+v", r.PartnerChargeID, c)
		}
	}
}

// signalStore reports every SettleCharges call the processor makes.
type signalStore struct {
	netflix.Store
	ctx     context.Context
	settled chan int
}

func (s signalStore) SettleCharges(ctx context.Context, limit int, at time.Time, settle netflix.SettleFunc) ([]netflix.Settled, error) {
	settled, err := s.Store.SettleCharges(ctx, limit, at, settle)
	select {
	case s.settled <- len(settled):
	case <-s.ctx.Done():
	}
	return settled, err
}

func TestIntakeKicksProcessor(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	settled := make(chan int)
	f.app.Processor.Store = signalStore{Store: f.app.Processor.Store, ctx: ctx, settled: settled}
	stopped := make(chan struct{})
	go func() { f.app.Processor.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	// failed guards against a processor that never runs; it is not a
	// timing assertion.
	failed := time.NewTimer(time.Minute)
	defer failed.Stop()
	next := func() int {
		t.Helper()
		select {
		case n := <-settled:
			return n
		case <-failed.C:
			t.Fatal("the processor did not run")
		}
		return 0
	}
	if n := next(); n != 0 {
		t.Fatalf("the first run settled %d charges, want 0", n)
	}
	// The processor now waits an hour or for a kick: only the report can
	// wake it.
	results(t, f.report(manyCharges(t, "kick", 3)))
	if n := next(); n != 3 {
		t.Fatalf("the run after the report settled %d charges, want 3", n)
	}
	done := f.list(f.op.ID, true)
	if len(done) != 3 || len(f.list(f.op.ID, false)) != 0 {
		t.Fatalf("%d processed, want 3 and none PENDING", len(done))
	}
	for _, c := range done {
		if c.Status != netflix.BadRequest {
			t.Errorf("%s: %s, want BAD_REQUEST", c.PartnerChargeID, c.Status)
		}
	}
}
