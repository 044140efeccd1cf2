package ocpapi

// ThrottleLens reports how many client ids and addresses the token
// endpoint's throttles track, for tests that check what a request leaves
// behind.
func (h *Handler) ThrottleLens() (clients, addresses int) {
	return h.clients.Len(), h.addresses.Len()
}
