package crmapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The golden files in testdata are the CRM.COM document's own examples,
// copied as printed (its create request still has the trailing comma).

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The answers are compared byte for byte after compaction: the face writes
// the fields in the document's order.
func sameBytes(t *testing.T, got, want []byte) {
	t.Helper()
	if g, w := compact(t, got), compact(t, want); !bytes.Equal(g, w) {
		t.Fatalf("answer differs from the document\n got: %s\nwant: %s", g, w)
	}
}

func TestGoldenPromotionsList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.get("netflix/promotions/list", nil).ok(t)
	sameBytes(t, r.Raw, golden(t, "promotions_list.response.json"))
}

// withDocumentToken puts a live token where the document's example has its
// own.
func withDocumentToken(t *testing.T, body []byte, token string) string {
	t.Helper()
	re := regexp.MustCompile(`"token":"[0-9A-F]{32}"`)
	if !re.Match(body) {
		t.Fatal("example has no token")
	}
	return re.ReplaceAllString(string(body), `"token":"`+token+`"`)
}

func TestGoldenCreate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	asPrinted := withDocumentToken(t, golden(t, "subscriptions_create.request.json"), e.token)

	// The document's body has a trailing comma: invalid JSON gets a clean
	// 400, and nothing is written.
	e.postRaw("netflix/subscriptions/create", asPrinted).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "not a valid JSON object")
	e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci123"}}).
		fails(t, http.StatusNotFound, "NOT_FOUND")

	// With the comma removed, the example succeeds. The clock is the
	// document's, so the expiration date is the document's too.
	fixed := strings.Replace(asPrinted, `"care_of":"Maria Kyriacou",`, `"care_of":"Maria Kyriacou"`, 1)
	r := e.postRaw("netflix/subscriptions/create", fixed).ok(t)
	var got struct {
		Number string `json:"subscription_number"`
		Token  string `json:"netflix_token"`
	}
	json.Unmarshal(r.Data, &got)
	if !regexp.MustCompile(`^S\d{10}$`).MatchString(got.Number) {
		t.Fatalf("subscription_number %q is not like S0000003566", got.Number)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.Token) {
		t.Fatalf("netflix_token %q is not 32 lower-case hex characters", got.Token)
	}
	want := golden(t, "subscriptions_create.response.json")
	want = bytes.Replace(want, []byte("S0000003566"), []byte(got.Number), 1)
	want = bytes.Replace(want, []byte("faa718658f9f4dbe84d73dc1030d31cd"), []byte(got.Token), 1)
	sameBytes(t, r.Raw, want)

	// The subscription is there, with the promotion it redeemed.
	r = e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci123"}}).ok(t)
	jsonEqual(t, r.Data, []byte(`{"netflix_state":"EFFECTIVE","promotions_set":[
		{"code":"14","expires_on":null,"name":"Test","description":null,"effective_from":"2017-01-01T00:00:00"}],
		"subscription_number":"`+got.Number+`","prices_set":[],"life_cycle_state":"EFFECTIVE"}`))
}

func TestGoldenShow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "pci200"}).ok(t)
	var created struct {
		Number string `json:"subscription_number"`
	}
	json.Unmarshal(r.Data, &created)
	r = e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci200"}}).ok(t)
	want := bytes.Replace(golden(t, "subscriptions_show.response.json"), []byte(`"93"`), []byte(`"`+created.Number+`"`), 1)
	sameBytes(t, r.Raw, want)
}

func TestGoldenSuspendUnsuspendCancel(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "pci123"}).ok(t)
	body := withDocumentToken(t, golden(t, "subscriptions_suspend.request.json"), e.token)
	want := golden(t, "subscriptions_suspend.response.json")
	// The document prints the same request and answer for all three.
	for _, method := range []string{"suspend", "unsuspend", "cancel"} {
		r := e.postRaw("netflix/subscriptions/"+method, body).ok(t)
		sameBytes(t, r.Raw, want)
	}
	r := e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"pci123"}}).ok(t)
	var s struct {
		Life    string `json:"life_cycle_state"`
		Netflix string `json:"netflix_state"`
	}
	json.Unmarshal(r.Data, &s)
	if s.Life != "CANCELLED" || s.Netflix != "NOT_EFFECTIVE" {
		t.Fatalf("after suspend, unsuspend, cancel: %+v", s)
	}
}
