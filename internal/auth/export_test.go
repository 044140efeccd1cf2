package auth

// ThrottleLens reports how many usernames and addresses the login
// throttles track, for tests that check what an attempt leaves behind.
func (s *Service) ThrottleLens() (users, addresses int) {
	return s.users.Len(), s.clients.Len()
}
