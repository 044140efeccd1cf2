package crmapi

import (
	"context"
	"net/http"
	"unicode"
	"unicode/utf8"

	"carebridge/internal/face"
)

type tokenJSON struct {
	Token string `json:"token"`
}

// login is POST authentication/token.
func (h *Handler) login(ctx context.Context, c *call) (any, error) {
	username := c.required("username")
	password := c.required("password")
	organisation := c.required("organisation")
	c.unit()
	if err := c.done(); err != nil {
		return nil, err
	}
	t, err := h.auth.Login(ctx, organisation, username, password, face.ClientAddress(c.r))
	if err != nil {
		return nil, err
	}
	return tokenJSON{Token: t.Value}, nil
}

// loginWithKey is POST authentication/web_api_key/token: the web API key
// is the user name of HTTP Basic authentication, with an empty password.
// A missing or malformed header, or a password, is refused as an unknown
// key is.
func (h *Handler) loginWithKey(ctx context.Context, c *call) (any, error) {
	c.unit()
	if err := c.done(); err != nil {
		return nil, err
	}
	key := webAPIKey(c.r)
	t, err := h.auth.LoginWithKey(ctx, key, face.ClientAddress(c.r))
	if err != nil {
		return nil, err
	}
	return tokenJSON{Token: t.Value}, nil
}

// webAPIKey reads the key of Authorization: Basic base64("<key>:"); ""
// when there is none or a password is given.
func webAPIKey(r *http.Request) string {
	key, password, ok := r.BasicAuth()
	if !ok || password != "" {
		return ""
	}
	return key
}

// unit reads the optional unit parameter, 1 to 100 printable characters.
// carebridge has no business units: a session acts for its user's
// operator, so a valid unit is accepted and ignored.
func (c *call) unit() {
	v, given := c.raw["unit"]
	s := c.string("unit")
	if !given || string(v) == "null" || c.err() != nil {
		return
	}
	if n := utf8.RuneCountInString(s); n < 1 || n > 100 {
		c.invalid("unit", "must be 1 to 100 characters.")
		return
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			c.invalid("unit", "must be printable characters.")
			return
		}
	}
}

// release is POST authentication/token/release.
func (h *Handler) release(ctx context.Context, c *call) (any, error) {
	token := c.string("token")
	if token == "" {
		token, _ = face.Bearer(c.r)
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return emptyObject{}, h.auth.Release(ctx, token)
}
