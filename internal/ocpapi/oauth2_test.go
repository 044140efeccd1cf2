package ocpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"carebridge/internal/auth"
	"carebridge/internal/ocp"
)

var authStyles = []struct {
	name  string
	style oauth2.AuthStyle
}{
	{"InHeader", oauth2.AuthStyleInHeader},
	{"InParams", oauth2.AuthStyleInParams},
}

// clientGet sends GET url through an OAuth2 client and reads the answer.
func clientGet(t *testing.T, c *http.Client, url string) response {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// A real OAuth2 client (x/oauth2's client credentials) obtains a token in
// either client authentication style and reads every route with it.
func TestOAuth2Library(t *testing.T) {
	t.Parallel()
	for _, as := range authStyles {
		t.Run(as.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			cfg := clientcredentials.Config{
				ClientID: demoClientID, ClientSecret: demoSecret,
				TokenURL: e.url + "/v1/oauth/token", AuthStyle: as.style,
			}
			// The library's requests go through the client that checks
			// them against docs/openapi.json.
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.client)
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if !accessTokenRE.MatchString(tok.AccessToken) {
				t.Fatalf("access token %q is not 64 lower-case hex characters", tok.AccessToken)
			}
			if tok.TokenType != "bearer" || tok.Type() != "Bearer" {
				t.Fatalf("token type %q (%q), want bearer", tok.TokenType, tok.Type())
			}
			if v, _ := tok.Extra("expires_in").(float64); v != 3600 {
				t.Fatalf("expires_in = %v, want 3600", tok.Extra("expires_in"))
			}
			if tok.Expiry.IsZero() {
				t.Fatal("the library saw no expiry")
			}

			client := cfg.Client(ctx)
			for _, g := range goldens {
				wantJSON(t, g.path, clientGet(t, client, e.url+g.path), golden(t, g.file))
			}
			// And the library's client is refused what app 88 may not read.
			e.wantError("1650 through the library", clientGet(t, client, e.url+"/v1/ocp/customers/1650"), http.StatusUnauthorized, "Not Authorized")
		})
	}
}

// A client id and secret with characters that must be form-encoded in
// HTTP Basic (RFC 6749 §2.3.1) work through the library in both styles.
func TestOAuth2LibrarySpecialSecret(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const secret = "s3cr:t&=+ %"
	app, got, err := e.app.OCP.NewApplication(context.Background(), 91, "special", secret, []int64{1649})
	if err != nil || got != secret {
		t.Fatalf("NewApplication = %q, %v", got, err)
	}
	for _, as := range authStyles {
		t.Run(as.name, func(t *testing.T) {
			t.Parallel()
			cfg := clientcredentials.Config{ClientID: app.ClientID, ClientSecret: secret, TokenURL: e.url + "/v1/oauth/token", AuthStyle: as.style}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.client)
			if _, err := cfg.Token(ctx); err != nil {
				t.Fatalf("Token: %v", err)
			}
			wantJSON(t, "ids", clientGet(t, cfg.Client(ctx), e.url+"/v1/ocp/customers/ids"), []byte(`{"appId": 91, "ocpCustomerIds": [1649]}`))
		})
	}
}

// A client id with such characters too: the service names clients app-N,
// but the store (and an operator's migration) may hold any client id.
func TestOAuth2LibrarySpecialClientID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const clientID, secret = "client:92 &=+%", "s3cr:t&=+ %"
	ctx := context.Background()
	hash, err := auth.HashPassword(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	app := ocp.Application{AppID: 92, Name: "special id", ClientID: clientID, ClientSecretHash: hash, CreatedAt: start}
	if _, err := e.app.Stores.OCP.CreateApplication(ctx, app, []int64{1649}); err != nil {
		t.Fatal(err)
	}
	for _, as := range authStyles {
		t.Run(as.name, func(t *testing.T) {
			t.Parallel()
			cfg := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: e.url + "/v1/oauth/token", AuthStyle: as.style}
			if _, err := cfg.Token(ctx); err != nil {
				t.Fatalf("Token: %v", err)
			}
			wantJSON(t, "ids", clientGet(t, cfg.Client(ctx), e.url+"/v1/ocp/customers/ids"), []byte(`{"appId": 92, "ocpCustomerIds": [1649]}`))
		})
	}
}

// A wrong secret reaches the library as RFC 6749's invalid_client.
func TestOAuth2LibraryWrongSecret(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, as := range authStyles {
		t.Run(as.name, func(t *testing.T) {
			t.Parallel()
			cfg := clientcredentials.Config{ClientID: demoClientID, ClientSecret: "wrong-secret", TokenURL: e.url + "/v1/oauth/token", AuthStyle: as.style}
			tok, err := cfg.Token(context.WithValue(context.Background(), oauth2.HTTPClient, e.client))
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("Token = %v, %v; want an *oauth2.RetrieveError", tok, err)
			}
			if re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
				t.Fatalf("RetrieveError code %q, HTTP %d; want invalid_client, 401", re.ErrorCode, re.Response.StatusCode)
			}
		})
	}
}
