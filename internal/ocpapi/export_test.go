package ocpapi

// ThrottleLens reports how many client ids and addresses the token
// endpoint's throttles track, for tests that check what a request leaves
// behind.
func (h *Handler) ThrottleLens() (clients, addresses int) {
	return h.clients.Len(), h.addresses.Len()
}

// SetThrottleKeys replaces the token endpoint's throttles with empty ones
// that track at most keys client ids and keys addresses, so that a test can
// fill them; call it before serving.
func (h *Handler) SetThrottleKeys(keys int) { h.setThrottles(keys) }
