package webhookreceiver_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"carebridge/examples/webhookreceiver"
	"carebridge/internal/signature"
)

// The example verifies what carebridge signs, and nothing else.
func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Now()
	body := []byte(`{"id":1,"type":"charge.settled","created_at":"2026-11-30T12:00:00Z","data":{}}`)
	signed := signature.Sign("whsec_a", now, body)
	if err := webhookreceiver.Verify("whsec_a", signed, body, now); err != nil {
		t.Fatalf("Verify of a good signature: %v", err)
	}
	if err := webhookreceiver.Verify("whsec_a", "v1=00, "+signed, body, now.Add(4*time.Minute)); err != nil {
		t.Fatalf("Verify with another v1 first, four minutes on: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"other secret":    {"whsec_b", signed, body, now},
		"body changed":    {"whsec_a", signed, []byte(strings.Replace(string(body), "1", "2", 1)), now},
		"six minutes on":  {"whsec_a", signed, body, now.Add(6 * time.Minute)},
		"from the future": {"whsec_a", signed, body, now.Add(-6 * time.Minute)},
		"no header":       {"whsec_a", "", body, now},
		"no timestamp":    {"whsec_a", signed[strings.Index(signed, ",")+1:], body, now},
		"no signature":    {"whsec_a", signed[:strings.Index(signed, ",")], body, now},
	} {
		if err := webhookreceiver.Verify(c.secret, c.header, c.body, c.now); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
}

// The handler answers 204 for a verified event it handled, 401 for a bad
// signature and 500 when handling failed, so that it is delivered again.
func TestHandler(t *testing.T) {
	t.Parallel()
	var got []webhookreceiver.Event
	fail := false
	h := webhookreceiver.Handler("whsec_a", func(e webhookreceiver.Event) error {
		if fail {
			return errors.New("database down")
		}
		got = append(got, e)
		return nil
	})
	body := `{"id":7,"type":"subscription.changed","created_at":"2026-11-30T12:00:00Z","data":{"number":"S0000000001"}}`
	post := func(header string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Carebridge-Signature", header)
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post(signature.Sign("whsec_a", time.Now(), []byte(body))); code != http.StatusNoContent {
		t.Fatalf("good delivery answered %d", code)
	}
	if len(got) != 1 || got[0].ID != 7 || got[0].Type != "subscription.changed" || string(got[0].Data) != `{"number":"S0000000001"}` ||
		!got[0].CreatedAt.Equal(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("handled %+v", got)
	}
	if code := post(signature.Sign("whsec_b", time.Now(), []byte(body))); code != http.StatusUnauthorized {
		t.Fatalf("bad signature answered %d", code)
	}
	fail = true
	if code := post(signature.Sign("whsec_a", time.Now(), []byte(body))); code != http.StatusInternalServerError {
		t.Fatalf("failed handling answered %d", code)
	}
}
