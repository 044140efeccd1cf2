package auth

// ThrottleLens reports how many usernames and addresses the login
// throttles track, for tests that check what an attempt leaves behind.
func (s *Service) ThrottleLens() (users, addresses int) {
	return s.users.Len(), s.clients.Len()
}

// SetThrottleKeys replaces the login throttles with empty ones that track
// at most keys usernames and keys addresses, so that a test can fill them;
// call it before the first login.
func (s *Service) SetThrottleKeys(keys int) { s.setThrottles(keys) }
