package webhook_test

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/webhook"
)

func TestParseEventTypes(t *testing.T) {
	t.Parallel()
	good := map[string][]webhook.EventType{
		"charge.settled": {webhook.ChargeSettled},
		"charge.settled,charge.created,subscription.changed": {webhook.ChargeSettled, webhook.ChargeCreated, webhook.SubscriptionChanged},
		" charge.created , subscription.changed ":            {webhook.ChargeCreated, webhook.SubscriptionChanged},
	}
	for list, want := range good {
		got, err := webhook.ParseEventTypes(list)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseEventTypes(%q) = %v, %v; want %v", list, got, err, want)
		}
	}
	bad := map[string]string{
		"":                               "at least one",
		"  ":                             "at least one",
		"charge.refunded":                `"charge.refunded" is not an event type`,
		"Charge.Settled":                 "is not an event type",
		"charge.settled,,charge.created": "empty item",
		"charge.settled,":                "empty item",
		"charge.settled,charge.settled":  "named twice",
	}
	for list, want := range bad {
		_, err := webhook.ParseEventTypes(list)
		if carebridge.ErrorCode(err) != carebridge.EINVALID || !strings.Contains(carebridge.ErrorMessage(err), want) {
			t.Errorf("ParseEventTypes(%q) = %v; want EINVALID saying %q", list, err, want)
		}
		if err != nil && want != "named twice" && !strings.Contains(carebridge.ErrorMessage(err), "charge.created,charge.settled,subscription.changed") {
			t.Errorf("ParseEventTypes(%q): %q does not name the known types", list, carebridge.ErrorMessage(err))
		}
	}
}

func TestFormatEventTypes(t *testing.T) {
	t.Parallel()
	if got := webhook.FormatEventTypes(webhook.EventTypes); got != "charge.created,charge.settled,subscription.changed" {
		t.Errorf("FormatEventTypes = %q", got)
	}
	if got := webhook.FormatEventTypes(nil); got != "" {
		t.Errorf("FormatEventTypes(nil) = %q", got)
	}
	types := []webhook.EventType{webhook.SubscriptionChanged, webhook.ChargeCreated}
	if back, err := webhook.ParseEventTypes(webhook.FormatEventTypes(types)); err != nil || !slices.Equal(back, types) {
		t.Errorf("round trip: %v, %v", back, err)
	}
}

func TestValidateURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"https://example.com/webhooks",
		"http://10.0.0.7:8080/hook?operator=1",
		"https://[::1]:9443/",
		"https://example.com/" + strings.Repeat("a", webhook.MaxURLBytes-len("https://example.com/")),
	} {
		if err := webhook.ValidateURL(u); err != nil {
			t.Errorf("ValidateURL(%.60q) = %v", u, err)
		}
	}
	bad := map[string]string{
		"": "not a URL",
		"https://example.com/" + strings.Repeat("a", webhook.MaxURLBytes): "longer than 2048 bytes",
		"example.com/webhooks":          "not an absolute http or https URL",
		"/webhooks":                     "not an absolute http or https URL",
		"ftp://example.com/":            "not an absolute http or https URL",
		"HTTPS://example.com/":          "", // url.Parse lower-cases the scheme
		"https://":                      "no host",
		"https:///path":                 "no host",
		"https:example.com":             "no host",
		"https://user:pw@example.com/":  "user name or password",
		"https://user@example.com/":     "user name or password",
		"https://example.com/hook#part": "fragment",
		"https://example.com/hook#":     "fragment",
		"https://exa mple.com/":         "not a URL",
		"https://example.com:port/":     "not a URL",
		"http://127.0.0.1:99999/":       "no valid port",
		"http://127.0.0.1:0/":           "no valid port",
		"http://127.0.0.1:8080/a b":     "space or a control character",
		"http://[::1]:8080/hooks":       "",
	}
	for u, want := range bad {
		err := webhook.ValidateURL(u)
		if want == "" {
			if err != nil {
				t.Errorf("ValidateURL(%q) = %v", u, err)
			}
			continue
		}
		if carebridge.ErrorCode(err) != carebridge.EINVALID || !strings.Contains(carebridge.ErrorMessage(err), want) {
			t.Errorf("ValidateURL(%.60q) = %v; want EINVALID saying %q", u, err, want)
		}
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two secrets are equal")
	}
	raw, ok := strings.CutPrefix(a, "whsec_")
	if !ok {
		t.Fatalf("secret %q lacks whsec_", a)
	}
	if k, err := hex.DecodeString(raw); err != nil || len(k) != 32 || raw != strings.ToLower(raw) {
		t.Errorf("secret %q: not 32 bytes in lower-case hex", a)
	}
}
