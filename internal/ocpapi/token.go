package ocpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"carebridge"
)

// maxTokenRequestBytes bounds the token request's form body.
const maxTokenRequestBytes = 16 << 10

// oauthError is an error response of RFC 6749 §5.2.
type oauthError struct {
	status      int
	code        string
	description string
}

type oauthErrorJSON struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token is POST /v1/oauth/token: the client-credentials grant, with the
// client authenticated by HTTP Basic or by client_id/client_secret form
// fields (one method, not both).
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Pragma", "no-cache")
	clientID, secret, usedBasic, oe := clientCredentials(w, r)
	if oe == nil {
		tok, err := h.ocp.IssueToken(r.Context(), clientID, secret)
		switch {
		case carebridge.ErrorCode(err) == carebridge.ECREDENTIALS:
			oe = &oauthError{http.StatusUnauthorized, "invalid_client", "Client authentication failed."}
		case err != nil:
			h.writeError(w, r, err)
			return
		default:
			writeJSON(w, http.StatusOK, tokenJSON{AccessToken: tok.Value, TokenType: "bearer", ExpiresIn: int64(tok.ExpiresIn.Seconds())})
			return
		}
	}
	if oe.status == http.StatusUnauthorized && usedBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="carebridge"`)
	}
	writeJSON(w, oe.status, oauthErrorJSON{Error: oe.code, ErrorDescription: oe.description})
}

// clientCredentials reads and checks the token request.
func clientCredentials(w http.ResponseWriter, r *http.Request) (id, secret string, usedBasic bool, oe *oauthError) {
	invalid := func(desc string) *oauthError { return &oauthError{http.StatusBadRequest, "invalid_request", desc} }
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return "", "", false, invalid("The request must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", "", false, invalid("The request is too large.")
		}
		return "", "", false, invalid("The request body is not a valid form.")
	}
	form := r.PostForm
	for name, values := range form {
		if len(values) > 1 {
			return "", "", false, invalid("Parameter " + name + " is given more than once.")
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		return "", "", false, invalid("grant_type is required.")
	case "client_credentials":
	default:
		return "", "", false, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Only the client_credentials grant is supported."}
	}
	basicID, basicSecret, hasBasic := r.BasicAuth()
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	switch {
	case hasBasic && formSecret != "":
		return "", "", true, invalid("Use one client authentication method, not both.")
	case hasBasic:
		// RFC 6749 §2.3.1: the id and secret are form-encoded before
		// Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(basicID)
		secret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil {
			return "", "", true, &oauthError{http.StatusUnauthorized, "invalid_client", "Client authentication failed."}
		}
		if formID != "" && formID != id {
			return "", "", true, invalid("client_id differs from the authenticated client.")
		}
		return id, secret, true, nil
	case formID != "" && formSecret != "":
		return formID, formSecret, false, nil
	}
	return "", "", false, &oauthError{http.StatusUnauthorized, "invalid_client", "Client authentication is required (HTTP Basic or client_id and client_secret)."}
}
