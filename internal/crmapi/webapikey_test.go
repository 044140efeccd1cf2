package crmapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/auth"
)

// demoKey gives the demo user a web API key labelled label and returns it.
func (e *env) demoKey(label string) string {
	e.t.Helper()
	ctx := context.Background()
	org, err := e.stores.Tenancy.OrganisationByName(ctx, "demo")
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.stores.Tenancy.UserByName(ctx, org.ID, "demo")
	if err != nil {
		e.t.Fatal(err)
	}
	key, err := auth.NewAPIKey()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.stores.Tenancy.CreateAPIKey(ctx, carebridge.APIKey{UserID: u.ID, Label: label, CreatedAt: docTime}, auth.HashToken(key)); err != nil {
		e.t.Fatal(err)
	}
	return key
}

// keyLogin posts body to authentication/web_api_key/token with the
// Authorization header given ("" sends none).
func (e *env) keyLogin(authorization, body string) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"authentication/web_api_key/token", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.do(req)
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestWebAPIKeyLogin(t *testing.T) {
	t.Parallel()
	e := setup(t)
	key := e.demoKey("erp")
	for _, body := range []string{"", "{}", `{"unit":"Head Office"}`} {
		r := e.keyLogin(basic(key, ""), body).ok(t)
		var d struct{ Token string }
		if err := json.Unmarshal(r.Data, &d); err != nil || len(d.Token) != 32 || strings.ToUpper(d.Token) != d.Token {
			t.Fatalf("body %q: data %s", body, r.Data)
		}
		// The token is a CRM.COM session of the demo user, for 2 hours.
		e.get("netflix/promotions/list", map[string][]string{"token": {d.Token}}).ok(t)
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("Cache-Control = %q", r.Header.Get("Cache-Control"))
		}
	}
	// The Authorization header as CRM.COM clients build it by hand.
	req, _ := http.NewRequest(http.MethodPost, e.url+"authentication/web_api_key/token", nil)
	req.SetBasicAuth(key, "")
	e.do(req).ok(t)

	tok := e.keyLogin(basic(key, ""), "").ok(t)
	var d struct{ Token string }
	json.Unmarshal(tok.Data, &d)
	e.clock.Set(docTime.Add(2*time.Hour - time.Second))
	e.get("netflix/promotions/list", map[string][]string{"token": {d.Token}}).ok(t)
	e.clock.Set(docTime.Add(2 * time.Hour))
	e.get("netflix/promotions/list", map[string][]string{"token": {d.Token}}).fails(t, http.StatusUnauthorized, "INVALID_TOKEN")
}

// Whatever is wrong with the key, the answer is authentication/token's
// to a wrong password, word for word.
func TestWebAPIKeyRefusedAsBadCredentials(t *testing.T) {
	t.Parallel()
	e := setup(t)
	key := e.demoKey("erp")
	want := e.post("authentication/token", map[string]any{"organisation": "demo", "username": "demo", "password": "wrong", "token": nil})
	want.fails(t, http.StatusUnauthorized, "INVALID_CREDENTIALS")
	for name, authorization := range map[string]string{
		"unknown key":       basic(strings.Repeat("0", 64), ""),
		"a password":        basic(key, "secret"),
		"no header":         "",
		"a bearer token":    "Bearer " + e.token,
		"not base64":        "Basic ###",
		"a key too long":    basic(strings.Repeat("a", 300), ""),
		"an empty user":     basic("", ""),
		"the demo password": basic("demo", "demo"),
	} {
		r := e.keyLogin(authorization, "")
		if r.HTTP != want.HTTP || !bytes.Equal(r.Raw, want.Raw) {
			t.Errorf("%s: HTTP %d %s; want HTTP %d %s", name, r.HTTP, r.Raw, want.HTTP, want.Raw)
		}
	}
	// Revoked, or its user disabled: refused the same way.
	ctx := context.Background()
	org, _ := e.stores.Tenancy.OrganisationByName(ctx, "demo")
	u, _ := e.stores.Tenancy.UserByName(ctx, org.ID, "demo")
	other := e.demoKey("other")
	if err := e.stores.Tenancy.RevokeAPIKey(ctx, u.ID, "erp", docTime); err != nil {
		t.Fatal(err)
	}
	if r := e.keyLogin(basic(key, ""), ""); !bytes.Equal(r.Raw, want.Raw) {
		t.Errorf("revoked key: %s", r.Raw)
	}
	if err := e.stores.Tenancy.DisableUser(ctx, u.ID, docTime); err != nil {
		t.Fatal(err)
	}
	if r := e.keyLogin(basic(other, ""), ""); !bytes.Equal(r.Raw, want.Raw) {
		t.Errorf("disabled user's key: %s", r.Raw)
	}
}

func TestWebAPIKeyParameters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	key := e.demoKey("erp")
	for body, code := range map[string]string{
		`{"unit":1}`:  "INVALID_PARAMETER",
		`{"unit":""}`: "INVALID_PARAMETER",
		`{"unit":"` + strings.Repeat("u", 101) + `"}`: "INVALID_PARAMETER",
		`{"unit":"a\u0007b"}`:                         "INVALID_PARAMETER",
		`{"username":"demo"}`:                         "INVALID_PARAMETER",
		`[]`:                                          "INVALID_PARAMETER",
	} {
		e.keyLogin(basic(key, ""), body).fails(t, http.StatusBadRequest, code)
	}
	e.keyLogin(basic(key, ""), `{"unit":null}`).ok(t)
	e.keyLogin(basic(key, ""), `{"unit":"`+strings.Repeat("u", 100)+`"}`).ok(t)
	r, _ := http.NewRequest(http.MethodGet, e.url+"authentication/web_api_key/token", nil)
	e.do(r).fails(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

// authentication/token takes the optional unit and ignores it.
func TestLoginUnit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	login := map[string]any{"organisation": "demo", "username": "demo", "password": "demo", "token": nil}
	with := func(unit any) map[string]any {
		m := map[string]any{"unit": unit}
		for k, v := range login {
			m[k] = v
		}
		return m
	}
	e.post("authentication/token", with("Head Office")).ok(t)
	e.post("authentication/token", with(nil)).ok(t)
	for _, bad := range []any{7, true, "", strings.Repeat("u", 101), "a\tb", map[string]any{}} {
		e.post("authentication/token", with(bad)).fails(t, http.StatusBadRequest, "INVALID_PARAMETER", "unit")
	}
}
