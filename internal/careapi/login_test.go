package careapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/demo"
)

// Care agents and supervisors log in: the answer names the session's
// role, organisation and the agent's own operator, the session lasts the
// configured lifetime from the server's clock, and its token is one of the
// care audience, taken by the plane and by nobody else.
func TestLogin(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		north := e.addOperator("north")
		users := []struct {
			user carebridge.User
			role string
			op   carebridge.Operator
		}{
			{e.addUser("agent", carebridge.RoleCare, e.op), "care", e.op},
			{e.addUser("sam", carebridge.RoleSupervisor, e.op), "supervisor", e.op},
			{e.addUser("nora", carebridge.RoleCare, north), "care", north},
		}
		expires := start.Add(lifetime)
		ctx := context.Background()
		for _, c := range users {
			t.Run(c.user.Username, func(t *testing.T) {
				s := wantSession(t, e.login(c.user.Username, c.user.Username))
				want := session{Token: s.Token, ExpiresOn: expires.Format(time.RFC3339), Role: c.role, Organisation: demo.Organisation, Operator: c.op.Name}
				if s != want {
					t.Fatalf("session %+v, want %+v", s, want)
				}
				if s.ExpiresOn != "2026-03-02T10:30:00Z" {
					t.Fatalf("expires_on = %q, want the clock's time and the configured 90 minutes", s.ExpiresOn)
				}
				ss, err := e.app.Care.Session(ctx, s.Token)
				if err != nil {
					t.Fatalf("the care audience does not find the session: %v", err)
				}
				if ss.Audience != carebridge.AudienceCare || ss.Caller.UserID != c.user.ID || ss.Caller.Role != carebridge.Role(c.role) ||
					ss.Caller.OperatorID != c.op.ID || ss.Caller.OrganisationID != e.org.ID || !ss.ExpiresAt.Equal(expires) {
					t.Fatalf("session %+v, want the care audience's, of user %d, operator %d, until %s", ss, c.user.ID, c.op.ID, expires)
				}
				if _, err := e.app.Auth.Session(ctx, s.Token); carebridge.ErrorCode(err) != carebridge.EUNAUTHORIZED {
					t.Fatalf("the CRM.COM audience takes a care session: err = %v", err)
				}
				if got := e.plane(s.Token); got != http.StatusOK {
					t.Fatalf("the plane answers the session's token HTTP %d, want 200", got)
				}
			})
		}
		// The session ends when its lifetime, counted on the server's
		// clock, is over.
		tok := e.token("agent")
		e.clock.Advance(lifetime - time.Second)
		if got := e.plane(tok); got != http.StatusOK {
			t.Fatalf("a second before the end: the plane answers HTTP %d, want 200", got)
		}
		e.clock.Advance(time.Second)
		if got := e.plane(tok); got != http.StatusUnauthorized {
			t.Fatalf("at the end: the plane answers HTTP %d, want 401", got)
		}
		wantError(t, "logout of an expired session", e.logout("Bearer "+tok), http.StatusUnauthorized, "invalid_token")
		// A login now lasts from now.
		if s := wantSession(t, e.login("agent", "agent")); s.ExpiresOn != e.clock.Now().Add(lifetime).Format(time.RFC3339) {
			t.Fatalf("expires_on = %q after the clock moved, want %s", s.ExpiresOn, e.clock.Now().Add(lifetime).Format(time.RFC3339))
		}
	})
}

// Whoever may not log in is answered exactly as a wrong password is: an
// api user with its right password, an unknown user or organisation, a
// disabled user.
func TestLoginRefusedAlike(t *testing.T) {
	t.Parallel()
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		dora := e.addUser("dora", carebridge.RoleCare, e.op)
		e.token("dora") // she could, before she was disabled
		if err := e.stores.Tenancy.DisableUser(context.Background(), dora.ID, start); err != nil {
			t.Fatal(err)
		}
		// The demo's api user is a real user, with the right password: the
		// CRM.COM face lets it in.
		if r := e.crmLogin(demo.Organisation, demo.Username, demo.Password); r.Status != http.StatusOK {
			t.Fatalf("the api user at the CRM.COM face: HTTP %d %s", r.Status, r.Body)
		}
		var first response
		for i, c := range []struct{ what, org, user, password string }{
			{"a wrong password", demo.Organisation, "agent", "not-agent"},
			{"an api user with its password", demo.Organisation, demo.Username, demo.Password},
			{"an unknown user", demo.Organisation, "nobody", "nobody"},
			{"an unknown organisation", "nowhere", "agent", "agent"},
			{"a disabled user with her password", demo.Organisation, "dora", "dora"},
			{"a username longer than any", demo.Organisation, strings.Repeat("a", 101), "agent"},
			{"the organisation's name in another case", "DEMO", "agent", "agent"},
		} {
			r := e.send(http.MethodPost, "/care/login", strings.NewReader(loginBody(c.org, c.user, c.password)), "Content-Type", "application/json")
			wantError(t, c.what, r, http.StatusUnauthorized, "invalid_credentials", "wrong")
			if i == 0 {
				first = r
				continue
			}
			if !bytes.Equal(r.Body, first.Body) {
				t.Errorf("%s: answer %s, want the wrong password's %s", c.what, r.Body, first.Body)
			}
			for _, h := range []string{"WWW-Authenticate", "Cache-Control", "Content-Type", "Content-Length"} {
				if r.Header.Get(h) != first.Header.Get(h) {
					t.Errorf("%s: %s %q, want the wrong password's %q", c.what, h, r.Header.Get(h), first.Header.Get(h))
				}
			}
		}
		wantSession(t, e.login("agent", "agent"))
	})
}

// hidden hides a body's length, so that it is sent chunked.
type hidden struct{ io.Reader }

// A login that is not one JSON object of three non-empty strings, sent as
// JSON, in at most 4 KiB, is refused before anything is checked, and
// counts toward no throttle.
func TestLoginRequestsRefused(t *testing.T) {
	t.Parallel()
	const good = `{"organisation":"demo","username":"agent","password":"agent"}`
	big := `{"organisation":"demo","username":"agent","password":"` + strings.Repeat("x", 4<<10) + `"}`
	cases := []struct {
		name        string
		contentType string
		body        string
		chunked     bool // sent without its length
		status      int
		code        string
		words       []string
	}{
		{"no Content-Type", "", good, false, 415, "unsupported_media_type", []string{"application/json"}},
		{"text/plain", "text/plain", good, false, 415, "unsupported_media_type", nil},
		{"a form", "application/x-www-form-urlencoded", "organisation=demo&username=agent&password=agent", false, 415, "unsupported_media_type", nil},
		{"application/json-seq", "application/json-seq", good, false, 415, "unsupported_media_type", nil},
		{"a Content-Type that does not parse", "application/json; charset", good, false, 415, "unsupported_media_type", nil},
		{"no body", "application/json", "", false, 400, "invalid_request", nil},
		{"not JSON", "application/json", `{`, false, 400, "invalid_request", []string{"JSON"}},
		{"two values", "application/json", good + ` {}`, false, 400, "invalid_request", nil},
		{"an array", "application/json", `[` + good + `]`, false, 400, "invalid_request", []string{"object"}},
		{"a string", "application/json", `"demo"`, false, 400, "invalid_request", []string{"object"}},
		{"null", "application/json", `null`, false, 400, "invalid_request", []string{"object"}},
		{"organisation missing", "application/json", `{"username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{"organisation is mandatory"}},
		{"username missing", "application/json", `{"organisation":"demo","password":"agent"}`, false, 400, "invalid_request", []string{"username is mandatory"}},
		{"password missing", "application/json", `{"organisation":"demo","username":"agent"}`, false, 400, "invalid_request", []string{"password is mandatory"}},
		{"an empty object", "application/json", `{}`, false, 400, "invalid_request", []string{"organisation is mandatory"}},
		{"organisation empty", "application/json", `{"organisation":"","username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{"organisation is mandatory"}},
		{"username empty", "application/json", `{"organisation":"demo","username":"","password":"agent"}`, false, 400, "invalid_request", []string{"username is mandatory"}},
		{"password empty", "application/json", `{"organisation":"demo","username":"agent","password":""}`, false, 400, "invalid_request", []string{"password is mandatory"}},
		{"password null", "application/json", `{"organisation":"demo","username":"agent","password":null}`, false, 400, "invalid_request", []string{"password is mandatory"}},
		{"organisation a number", "application/json", `{"organisation":7,"username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{"organisation must be a string"}},
		{"username true", "application/json", `{"organisation":"demo","username":true,"password":"agent"}`, false, 400, "invalid_request", []string{"username must be a string"}},
		{"password an array", "application/json", `{"organisation":"demo","username":"agent","password":["agent"]}`, false, 400, "invalid_request", []string{"password must be a string"}},
		{"password an object", "application/json", `{"organisation":"demo","username":"agent","password":{"value":"agent"}}`, false, 400, "invalid_request", []string{"password must be a string"}},
		{"an unknown member", "application/json", `{"organisation":"demo","username":"agent","password":"agent","remember":true}`, false, 400, "invalid_request", []string{`"remember"`}},
		{"a member in another case", "application/json", `{"Organisation":"demo","username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{`"Organisation"`}},
		{"a member in two cases", "application/json", `{"organisation":"demo","ORGANISATION":"other","username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{`"ORGANISATION"`}},
		{"a member twice", "application/json", `{"organisation":"other","organisation":"demo","username":"agent","password":"agent"}`, false, 400, "invalid_request", []string{"organisation"}},
		{"a lone surrogate", "application/json", `{"organisation":"demo","username":"agent","password":"\ud800"}`, false, 400, "invalid_request", []string{"password"}},
		{"bytes that are not UTF-8", "application/json", "{\"organisation\":\"demo\",\"username\":\"agent\",\"password\":\"\xff\"}", false, 400, "invalid_request", []string{"password"}},
		{"too large, with its length", "application/json", big, false, 413, "too_large", []string{"4096 bytes"}},
		{"too large, chunked", "application/json", big, true, 413, "too_large", []string{"4096 bytes"}},
	}
	onEngines(t, func(t *testing.T, e *env) {
		e.addUser("agent", carebridge.RoleCare, e.op)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var header []string
				if c.contentType != "" {
					header = []string{"Content-Type", c.contentType}
				}
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				if c.chunked {
					body = hidden{body}
				}
				wantError(t, c.name, e.send(http.MethodPost, "/care/login", body, header...), c.status, c.code, c.words...)
			})
		}
		// None of them counted toward the agent's throttle; the members
		// may be spaced and in any order, and the media type may carry
		// parameters.
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
			r := e.send(http.MethodPost, "/care/login", strings.NewReader(" {\n \"password\" : \"agent\" ,\t\"username\":\"agent\", \"organisation\": \"demo\" }\n"), "Content-Type", ct)
			if s := wantSession(t, r); s.Role != "care" {
				t.Fatalf("Content-Type %q: role %q", ct, s.Role)
			}
		}
	})
}

// The face's paths take POST only, and nothing else under /care/ is a
// route.
func TestMethodsAndPaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/care/login", 405},
		{http.MethodHead, "/care/login", 405},
		{http.MethodPut, "/care/login", 405},
		{http.MethodOptions, "/care/login", 405},
		{http.MethodGet, "/care/logout", 405},
		{http.MethodDelete, "/care/logout", 405},
		{http.MethodPatch, "/care/logout", 405},
		{http.MethodGet, "/care/", 404},
		{http.MethodPost, "/care/", 404},
		{http.MethodGet, "/care/sessions", 404},
		{http.MethodPost, "/care/login/", 404},
		{http.MethodPost, "/care/login/extra", 404},
		{http.MethodPost, "/care/Login", 404},
		{http.MethodGet, "/care/login.json", 404},
	}
	onEngines(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				r := e.send(c.method, c.path, nil)
				if c.method == http.MethodHead {
					if r.Status != c.status || r.Header.Get("Allow") != "POST" || r.Header.Get("Cache-Control") != "no-store" || len(r.Body) != 0 {
						t.Fatalf("HTTP %d, Allow %q, Cache-Control %q, %d bytes; want %d, POST, no-store and no body",
							r.Status, r.Header.Get("Allow"), r.Header.Get("Cache-Control"), len(r.Body), c.status)
					}
					return
				}
				if c.status == http.StatusMethodNotAllowed {
					wantError(t, c.method+" "+c.path, r, c.status, "method_not_allowed", "takes POST")
					if a := r.Header.Get("Allow"); a != "POST" {
						t.Fatalf("Allow = %q, want POST", a)
					}
					return
				}
				wantError(t, c.method+" "+c.path, r, c.status, "not_found")
			})
		}
	})
}
