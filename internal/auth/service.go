package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"carebridge"
)

// Login throttling: a username may fail 5 times and a client address 20
// times in 15 minutes before further attempts are refused until the window
// ends. The tables hold at most 100 000 keys each.
const (
	userFailureLimit    = 5
	addressFailureLimit = 20
	throttleWindow      = 15 * time.Minute
	throttleKeys        = 100_000
)

// Service logs CRM.COM users in and out and checks their tokens.
type Service struct {
	store    carebridge.TenancyStore
	now      func() time.Time
	lifetime time.Duration
	users    *Throttle
	clients  *Throttle
}

// NewService returns a Service whose tokens live for lifetime.
func NewService(store carebridge.TenancyStore, now func() time.Time, lifetime time.Duration) *Service {
	return &Service{
		store: store, now: now, lifetime: lifetime,
		users:   NewThrottle(userFailureLimit, throttleWindow, throttleKeys),
		clients: NewThrottle(addressFailureLimit, throttleWindow, throttleKeys),
	}
}

// ThrottledError refuses a login for RetryAfter; it unwraps to ETHROTTLED.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string { return e.Unwrap().Error() }

func (e *ThrottledError) Unwrap() error {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	return carebridge.Errorf(carebridge.ETHROTTLED, "Too many failed logins; try again in %d seconds.", secs)
}

// Token is a new login's token, to be handed to the caller once.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

var errBadCredentials = carebridge.Errorf(carebridge.ECREDENTIALS, "The organisation, username or password is wrong.")

// Login checks a user's password and opens a session. The answer and its
// timing are the same whether or not the user exists.
func (s *Service) Login(ctx context.Context, organisation, username, password, clientAddr string) (Token, error) {
	now := s.now()
	userKey := organisation + "\x00" + username
	if ok, wait := s.users.Allow(userKey, now); !ok {
		return Token{}, &ThrottledError{RetryAfter: wait}
	}
	if ok, wait := s.clients.Allow(clientAddr, now); !ok {
		return Token{}, &ThrottledError{RetryAfter: wait}
	}

	u, err := s.store.UserForLogin(ctx, organisation, username)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		DummyVerify(ctx, password)
	case err != nil:
		return Token{}, err
	default:
		ok, err := VerifyPassword(ctx, u.PasswordHash, password)
		if err != nil && !errors.Is(err, context.Canceled) {
			return Token{}, fmt.Errorf("verify password of user %d: %w", u.ID, err)
		}
		if ok {
			s.users.Reset(userKey)
			return s.open(ctx, u, now)
		}
	}
	s.users.Fail(userKey, now)
	s.clients.Fail(clientAddr, now)
	return Token{}, errBadCredentials
}

func (s *Service) open(ctx context.Context, u carebridge.User, now time.Time) (Token, error) {
	value, err := NewToken()
	if err != nil {
		return Token{}, err
	}
	t := Token{Value: value, ExpiresAt: now.Add(s.lifetime).UTC().Truncate(time.Second)}
	err = s.store.CreateSession(ctx, carebridge.Session{
		TokenHash: HashToken(value),
		Caller:    carebridge.Caller{UserID: u.ID, Username: u.Username, OperatorID: u.OperatorID, OrganisationID: u.OrganisationID},
		CreatedAt: now, ExpiresAt: t.ExpiresAt,
	})
	return t, err
}

var errInvalidToken = carebridge.Errorf(carebridge.EUNAUTHORIZED, "The token is missing, unknown, expired or released; log in again.")

// Authenticate returns the caller behind a token.
func (s *Service) Authenticate(ctx context.Context, token string) (carebridge.Caller, error) {
	if !LooksLikeToken(token) {
		return carebridge.Caller{}, errInvalidToken
	}
	ss, err := s.store.SessionByTokenHash(ctx, HashToken(token), s.now())
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return carebridge.Caller{}, errInvalidToken
	}
	return ss.Caller, err
}

// Release ends the session of a token.
func (s *Service) Release(ctx context.Context, token string) error {
	if !LooksLikeToken(token) {
		return errInvalidToken
	}
	err := s.store.ReleaseSession(ctx, HashToken(token), s.now())
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return errInvalidToken
	}
	return err
}

// PurgeSessions deletes sessions that ended more than a day ago; the server
// calls it periodically so the table does not grow without bound.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	return s.store.DeleteSessionsEndedBefore(ctx, s.now().Add(-24*time.Hour))
}
