package face

import (
	"net"
	"net/http"
	"strings"
)

// Bearer returns the token of an "Authorization: Bearer <token>" header;
// ok is false when the header is absent or names another scheme. The
// scheme is matched case-insensitively (the OCP document writes "bearer").
// A Bearer header with no token gives "", true: it was sent, so it counts.
func Bearer(r *http.Request) (token string, ok bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// ClientAddress is the address failed attempts are throttled by: the
// host of the peer, without its port.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
