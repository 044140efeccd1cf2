package crmapi

import (
	"context"

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
	if err := c.done(); err != nil {
		return nil, err
	}
	t, err := h.auth.Login(ctx, organisation, username, password, face.ClientAddress(c.r))
	if err != nil {
		return nil, err
	}
	return tokenJSON{Token: t.Value}, nil
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
