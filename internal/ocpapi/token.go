package ocpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/face"
	"carebridge/internal/middleware"
	"carebridge/internal/strict"
)

// Token requests are throttled as CRM.COM logins are: a client id may fail
// 10 times and an address 50 times in 15 minutes. Each table holds at most
// 100 000 keys (under 26 MB, see auth.ThrottleEntryBytes).
const (
	clientFailureLimit  = 10
	addressFailureLimit = 50
	throttleWindow      = 15 * time.Minute
	throttleKeys        = 100_000
)

// maxClientIDLen is the longest client id the OCP service accepts; a longer
// one names no client, so it is refused before it reaches the throttle and
// costs neither a table entry nor an attempt of the address.
const maxClientIDLen = 128

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
	clientID, secret, _, oe := clientCredentials(w, r)
	if oe == nil {
		oe = h.issue(w, r, clientID, secret)
	}
	if oe == nil {
		return
	}
	if oe.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="carebridge"`)
	}
	writeJSON(w, oe.status, oauthErrorJSON{Error: oe.code, ErrorDescription: oe.description})
}

// issue checks the client, throttled like CRM.COM logins (each check costs
// an argon2id hash), and answers the token.
func (h *Handler) issue(w http.ResponseWriter, r *http.Request, clientID, secret string) *oauthError {
	if len(clientID) > maxClientIDLen {
		return errClientAuthFailed
	}
	addr := face.ClientAddress(r)
	// Counted against the client and the address together or not at all,
	// so a refused request plants no key.
	refused, wait := auth.AttemptAllRefused(time.Now(), auth.ThrottleKey{Throttle: h.clients, Key: clientID}, auth.ThrottleKey{Throttle: h.addresses, Key: addr})
	if len(refused) > 0 {
		if h.Observer != nil {
			for _, i := range refused {
				h.Observer.Throttled([]string{ThrottleClient, ThrottleAddress}[i])
			}
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return &oauthError{http.StatusTooManyRequests, "invalid_request", "Too many failed attempts; try again later."}
	}
	tok, err := h.ocp.IssueToken(r.Context(), clientID, secret)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ECREDENTIALS:
		return errClientAuthFailed
	case err != nil:
		h.clients.Forgive(clientID)
		h.addresses.Forgive(addr)
		h.writeError(w, r, err)
		return nil
	}
	h.clients.Reset(clientID)
	h.addresses.Forgive(addr)
	writeJSON(w, http.StatusOK, tokenJSON{AccessToken: tok.Value, TokenType: "bearer", ExpiresIn: int64(tok.ExpiresIn.Seconds())})
	return nil
}

var errClientAuthFailed = &oauthError{http.StatusUnauthorized, "invalid_client", "Client authentication failed."}

// clientCredentials reads and checks the token request.
func clientCredentials(w http.ResponseWriter, r *http.Request) (id, secret string, usedBasic bool, oe *oauthError) {
	invalid := func(desc string) *oauthError { return &oauthError{http.StatusBadRequest, "invalid_request", desc} }
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return "", "", false, invalid("The request must be application/x-www-form-urlencoded.")
	}
	body, err := middleware.ReadBody(w, r, maxTokenRequestBytes)
	if err != nil {
		if middleware.TooLarge(err) {
			return "", "", false, invalid("The request is too large.")
		}
		return "", "", false, invalid("The request body could not be read.")
	}
	// Read as the other faces read queries: a pair with a malformed
	// percent-escape is refused by name, where ParseForm says only that
	// the form is not valid.
	form, err := strict.Query(string(body))
	if err != nil {
		return "", "", false, invalid(err.Error() + ".")
	}
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
	authz := r.Header.Get("Authorization")
	switch {
	case authz != "" && !hasBasic:
		// RFC 6749 §5.2: a client that tried the Authorization header and
		// failed gets 401, whatever the form says.
		return "", "", true, &oauthError{http.StatusUnauthorized, "invalid_client", "The Authorization header is not valid HTTP Basic."}
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
