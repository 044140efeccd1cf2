package crmapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"carebridge/internal/host"
	"carebridge/internal/netflix"
)

// Every row of the README's CRM.COM error table, over real HTTP.

func TestInvalidToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	show := func(token any) reply {
		q := url.Values{"billing_system_customer_identifier": {"x"}}
		if token != nil {
			q.Set("token", token.(string))
		} else {
			q["token"] = nil
		}
		return e.get("netflix/subscriptions/show", q)
	}
	show("").fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	show("00000000000000000000000000000000").fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	show("not-a-token").fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	e.post("netflix/subscriptions/suspend", map[string]any{"token": nil, "billing_system_customer_identifier": "x"}).
		fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	e.post("netflix/subscriptions/suspend", map[string]any{"token": 42, "billing_system_customer_identifier": "x"}).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "token")

	// Released.
	tok := e.login("demo", "demo", "demo")
	show(tok).fails(t, http.StatusNotFound, "NOT_FOUND") // valid: gets past authentication
	e.post("authentication/token/release", map[string]any{"token": tok}).ok(t)
	show(tok).fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
	e.post("authentication/token/release", map[string]any{"token": tok}).fails(t, http.StatusUnauthorized, "INVALID_TOKEN")

	// Expired: tokens live two hours.
	e.clock.Advance(2*time.Hour - time.Second)
	show(e.token).fails(t, http.StatusNotFound, "NOT_FOUND")
	e.clock.Advance(time.Second)
	show(e.token).fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
}

func TestBearerHeader(t *testing.T) {
	t.Parallel()
	e := setup(t)
	req, _ := http.NewRequest(http.MethodGet, e.url+"netflix/promotions/list", nil)
	req.Header.Set("Authorization", "bearer "+e.token)
	r := e.do(req).ok(t)
	if !strings.Contains(string(r.Data), `"code":"14"`) {
		t.Fatalf("data = %s", r.Data)
	}
	req, _ = http.NewRequest(http.MethodGet, e.url+"netflix/promotions/list", nil)
	req.Header.Set("Authorization", "Basic "+e.token)
	e.do(req).fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if len(e.token) != 32 || strings.ToUpper(e.token) != e.token {
		t.Fatalf("token %q is not 32 upper-case hex characters", e.token)
	}
	// The same answer whether the user, the organisation or only the
	// password is wrong.
	var messages []string
	for _, c := range [][3]string{{"demo", "demo", "wrong"}, {"demo", "nobody", "demo"}, {"nowhere", "demo", "demo"}} {
		r := e.post("authentication/token", map[string]any{"token": nil, "organisation": c[0], "username": c[1], "password": c[2]})
		r.fails(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
		messages = append(messages, string(r.Raw))
	}
	if messages[0] != messages[1] || messages[1] != messages[2] {
		t.Fatalf("login failures differ, which tells users apart:\n%s", strings.Join(messages, "\n"))
	}
	for _, missing := range []string{"organisation", "username", "password"} {
		p := map[string]any{"token": nil, "organisation": "demo", "username": "demo", "password": "demo"}
		delete(p, missing)
		e.post("authentication/token", p).fails(t, http.StatusBadRequest, "MISSING_PARAMETER", missing)
	}
	e.post("authentication/token", map[string]any{"token": nil, "organisation": "demo", "username": "demo", "password": 1234}).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "password")
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	e := setup(t)
	bad := map[string]any{"token": nil, "organisation": "demo", "username": "demo", "password": "wrong"}
	for range 5 {
		e.post("authentication/token", bad).fails(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	// Now even the right password is refused until the window ends.
	r := e.post("authentication/token", map[string]any{"token": nil, "organisation": "demo", "username": "demo", "password": "demo"})
	r.fails(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
	if r.Header.Get("Retry-After") != "900" {
		t.Fatalf("Retry-After = %q, want 900", r.Header.Get("Retry-After"))
	}
	e.clock.Advance(15 * time.Minute)
	e.login("demo", "demo", "demo")

	// Per client address: 20 failures across many usernames.
	for i := range 20 {
		e.post("authentication/token", map[string]any{"token": nil, "organisation": "demo", "username": "u" + string(rune('a'+i)), "password": "x"}).
			fails(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	}
	e.post("authentication/token", map[string]any{"token": nil, "organisation": "demo", "username": "demo", "password": "demo"}).
		fails(t, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
}

func TestMissingAndInvalidParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	cases := []struct {
		name   string
		method string
		params map[string]any
		code   string
		words  []string
	}{
		{"show without customer", "show", nil, "MISSING_PARAMETER", []string{"billing_system_customer_identifier"}},
		{"create without customer", "create", map[string]any{"channel": "WEB"}, "MISSING_PARAMETER", []string{"billing_system_customer_identifier"}},
		{"empty customer", "suspend", map[string]any{"billing_system_customer_identifier": ""}, "MISSING_PARAMETER", []string{"billing_system_customer_identifier"}},
		{"blank customer", "create", map[string]any{"billing_system_customer_identifier": "   "}, "MISSING_PARAMETER", []string{"billing_system_customer_identifier"}},
		{"padded customer", "create", map[string]any{"billing_system_customer_identifier": "pci123 "}, "INVALID_PARAMETER", []string{"billing_system_customer_identifier", "spaces"}},
		{"customer as number", "cancel", map[string]any{"billing_system_customer_identifier": 123}, "INVALID_PARAMETER", []string{"billing_system_customer_identifier", "string"}},
		{"validity as string", "create", map[string]any{"billing_system_customer_identifier": "c", "validity_duration": "100"}, "INVALID_PARAMETER", []string{"validity_duration"}},
		{"validity fraction", "create", map[string]any{"billing_system_customer_identifier": "c", "validity_duration": 1.5}, "INVALID_PARAMETER", []string{"validity_duration", "integer"}},
		{"validity too long", "create", map[string]any{"billing_system_customer_identifier": "c", "validity_duration": 86401}, "INVALID_PARAMETER", []string{"validity_duration"}},
		{"validity zero", "create", map[string]any{"billing_system_customer_identifier": "c", "validity_duration": 0}, "INVALID_PARAMETER", []string{"validity_duration"}},
		{"bad channel", "create", map[string]any{"billing_system_customer_identifier": "c", "channel": "FAX"}, "INVALID_PARAMETER", []string{"channel", "WEB"}},
		{"unknown parameter", "create", map[string]any{"billing_system_customer_identifier": "c", "netflix_sate": "x"}, "INVALID_PARAMETER", []string{"netflix_sate"}},
		{"address not an object", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": "Main St"}, "INVALID_PARAMETER", []string{"customer_address", "object"}},
		{"address without type", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"street_name": "Main"}}, "MISSING_PARAMETER", []string{"customer_address.type"}},
		{"address bad type", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "CASTLE", "street_name": "Main"}}, "INVALID_PARAMETER", []string{"customer_address.type"}},
		{"address floor as string", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "floor": "2"}}, "INVALID_PARAMETER", []string{"customer_address.floor"}},
		{"address unknown field", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "colour": "red"}}, "INVALID_PARAMETER", []string{"customer_address.colour"}},
		{"address udf beyond 16", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "udf_string_17": "x"}}, "INVALID_PARAMETER", []string{"customer_address.udf_string_17"}},
		{"address udf float as text", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "udf_float_1": "x"}}, "INVALID_PARAMETER", []string{"customer_address.udf_float_1"}},
		{"address udf date malformed", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "udf_date_1": "yesterday"}}, "INVALID_PARAMETER", []string{"customer_address.udf_date_1"}},
		{"mixed address formats", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "address_line_1": "1 Main St", "street_name": "Main"}}, "INVALID_PARAMETER", []string{"customer_address.street_name"}},
		{"country bad code", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "country_identifier": map[string]any{"two_character_code": "CYP"}}}, "INVALID_PARAMETER", []string{"two_character_code"}},
		{"country unknown field", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_address": map[string]any{"type": "HOME", "street_name": "Main", "country_identifier": map[string]any{"iso": "CY"}}}, "INVALID_PARAMETER", []string{"customer_address.country_identifier.iso"}},
		{"is_primary not bool", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_phone": map[string]any{"type": "MOBILE", "number": "99123456", "is_primary": "yes"}}, "INVALID_PARAMETER", []string{"customer_phone.is_primary"}},
		{"phone bad type", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_phone": map[string]any{"type": "HOME", "number": "99123456"}}, "INVALID_PARAMETER", []string{"customer_phone.type"}},
		{"phone without number", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_phone": map[string]any{"type": "MOBILE"}}, "MISSING_PARAMETER", []string{"customer_phone.number"}},
		{"email malformed", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_email": map[string]any{"type": "PERSONAL", "email_address": "doug.do-at-acme"}}, "INVALID_PARAMETER", []string{"customer_email.email_address"}},
		{"email bad type", "create", map[string]any{"billing_system_customer_identifier": "c", "customer_email": map[string]any{"type": "WORK", "email_address": "a@b.com"}}, "INVALID_PARAMETER", []string{"customer_email.type"}},
		{"unknown fields_set name", "show", map[string]any{"billing_system_customer_identifier": "c", "fields_set": "netflix_sate"}, "INVALID_PARAMETER", []string{"netflix_sate"}},
		{"unknown query parameter", "show", map[string]any{"billing_system_customer_identifier": "c", "customer": "c"}, "INVALID_PARAMETER", []string{"customer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r reply
			if c.method == "show" {
				q := url.Values{}
				for k, v := range c.params {
					q.Set(k, v.(string))
				}
				r = e.get("netflix/subscriptions/show", q)
			} else {
				if c.params == nil {
					c.params = map[string]any{}
				}
				r = e.post("netflix/subscriptions/"+c.method, c.params)
			}
			r.fails(t, http.StatusBadRequest, c.code, c.words...)
		})
	}
	// None of these wrote anything.
	e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"c"}}).fails(t, http.StatusNotFound, "NOT_FOUND")
}

func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for name, body := range map[string]string{
		"empty":          "",
		"array":          `[{"token":"x"}]`,
		"null":           "null",
		"string":         `"hello"`,
		"truncated":      `{"billing_system_customer_identifier":"c"`,
		"trailing comma": `{"billing_system_customer_identifier":"c",}`,
		"two objects":    `{"a":1}{"b":2}`,
	} {
		t.Run(name, func(t *testing.T) {
			e.postRaw("netflix/subscriptions/create", body).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "JSON")
		})
	}
	big := `{"billing_system_customer_identifier":"c","customer_first_name":"` + strings.Repeat("a", 1<<20) + `"}`
	e.postRaw("netflix/subscriptions/create", big).fails(t, http.StatusRequestEntityTooLarge, "INVALID_PARAMETER", "larger")
	e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"c"}}).fails(t, http.StatusNotFound, "NOT_FOUND")

	req, _ := http.NewRequest(http.MethodGet, e.url+"netflix/subscriptions/show?token="+e.token+"&billing_system_customer_identifier=a&billing_system_customer_identifier=b", nil)
	e.do(req).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "once")
}

func TestNotFoundAndMethods(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "c", "promotion_code": "99"}).
		fails(t, http.StatusNotFound, "NOT_FOUND", "99")
	e.get("netflix/subscriptions/show", url.Values{"billing_system_customer_identifier": {"nobody"}}).fails(t, http.StatusNotFound, "NOT_FOUND", "nobody")
	for _, m := range []string{"suspend", "unsuspend", "cancel"} {
		e.post("netflix/subscriptions/"+m, map[string]any{"billing_system_customer_identifier": "nobody"}).fails(t, http.StatusNotFound, "NOT_FOUND")
	}
	e.get("netflix/nothing/here", nil).fails(t, http.StatusNotFound, "NOT_FOUND")

	r := e.get("netflix/subscriptions/create", nil)
	r.fails(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST")
	if r.Header.Get("Allow") != "POST" {
		t.Fatalf("Allow = %q", r.Header.Get("Allow"))
	}
	e.post("netflix/promotions/list", map[string]any{}).fails(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET")
}

func TestPromotionNotInEffect(t *testing.T) {
	t.Parallel()
	e := setup(t)
	op, err := e.stores.Tenancy.OperatorByName(context.Background(), 1, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Netflix.CreatePromotion(context.Background(), netflix.Promotion{
		OperatorID: op.ID, Code: "later", Name: "Later", EffectiveFrom: docTime.AddDate(0, 1, 0),
	}); err != nil {
		t.Fatal(err)
	}
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "c", "promotion_code": "later"}).
		fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "not in effect")
	e.clock.Advance(31 * 24 * time.Hour)
	e.token = e.login("demo", "demo", "demo")
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "c", "promotion_code": "later"}).ok(t)
}

func TestServiceUnavailable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.app.Host.SetState(netflix.Callsign, host.Deactivated); err != nil {
		t.Fatal(err)
	}
	e.get("netflix/promotions/list", nil).fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Netflix")
	e.post("netflix/subscriptions/create", map[string]any{"billing_system_customer_identifier": "c"}).
		fails(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	e.login("demo", "demo", "demo") // login belongs to the platform, not the plugin
	e.app.Host.SetState(netflix.Callsign, host.Activated)
	e.get("netflix/promotions/list", nil).ok(t)
}

func TestInternalErrorHidesDetails(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.stores.Close()
	r := e.get("netflix/promotions/list", nil)
	r.fails(t, http.StatusInternalServerError, "INTERNAL_ERROR")
	if strings.Contains(strings.ToLower(r.Status.Message), "sql") {
		t.Fatalf("internal details leaked: %q", r.Status.Message)
	}
}
