package auth

import (
	"context"
	"fmt"
	"time"

	"carebridge"
	"carebridge/internal/tokencache"
)

// Login throttling: a username may fail 5 times and a client address 20
// times in 15 minutes (successful logins are not counted, nor do they
// wipe the failures before them) before further attempts are refused
// until the window ends. The tables hold at most
// 100 000 keys each (under 26 MB each, see ThrottleEntryBytes), and names
// longer than maxNameLen are refused before they reach a table.
const (
	userFailureLimit    = 5
	addressFailureLimit = 20
	throttleWindow      = 15 * time.Minute
	throttleKeys        = 100_000
	maxNameLen          = 100
	maxAPIKeyLen        = 256
)

// Service logs users in and out of one audience (the CRM.COM face or the
// care plane) and checks their tokens. A session is accepted only by the
// audience it was opened for, and only while its user's role is one the
// audience admits, read again on every check.
type Service struct {
	store    Store
	now      func() time.Time
	audience carebridge.Audience
	lifetime time.Duration
	users    *Throttle
	clients  *Throttle

	// Sessions, when set, caches the callers of valid tokens by token
	// hash (see tokencache). A logout here forgets its token at once;
	// Released tells the other replicas, which call Forget.
	Sessions *tokencache.Cache[carebridge.Caller]
	Released func(ctx context.Context, tokenHash []byte)

	// Observer is told of refused logins; nil: nobody.
	Observer Observer
}

// Throttle kinds a login can be refused by, as Observer.Throttled names them.
const (
	ThrottleLoginUser    = "login_user"
	ThrottleLoginAddress = "login_address"
)

// Observer is told of refused logins, so that the server can count
// guessing and throttling without this package knowing how.
type Observer interface {
	// Throttled reports a request refused by the throttle of kind.
	Throttled(kind string)
	// FailedLogin reports a login refused for its credentials.
	FailedLogin()
}

type nopObserver struct{}

func (nopObserver) Throttled(string) {}
func (nopObserver) FailedLogin()     {}

func (s *Service) observer() Observer {
	if s.Observer == nil {
		return nopObserver{}
	}
	return s.Observer
}

// NewService returns the CRM.COM face's Service, whose tokens live for
// lifetime.
func NewService(store Store, now func() time.Time, lifetime time.Duration) *Service {
	s := &Service{store: store, now: now, audience: carebridge.AudienceCRM, lifetime: lifetime}
	s.setThrottles(throttleKeys)
	return s
}

// ForAudience returns a Service for another audience whose sessions live
// for lifetime. It shares this one's store, throttles and observer, so a
// password guessed at one face counts at the other. Its sessions are not
// cached: each check reads the store, so a user disabled or given another
// role is refused at once.
func (s *Service) ForAudience(a carebridge.Audience, lifetime time.Duration) *Service {
	return &Service{store: s.store, now: s.now, audience: a, lifetime: lifetime,
		users: s.users, clients: s.clients, Observer: s.Observer}
}

// setThrottles gives the service empty login throttles that track at most
// keys usernames and keys addresses.
func (s *Service) setThrottles(keys int) {
	s.users = NewThrottle(userFailureLimit, throttleWindow, keys)
	s.clients = NewThrottle(addressFailureLimit, throttleWindow, keys)
}

// ThrottledError refuses a login for RetryAfter; it unwraps to ETHROTTLED.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string { return e.Unwrap().Error() }

func (e *ThrottledError) Unwrap() error {
	return carebridge.Errorf(carebridge.ETHROTTLED, "Too many failed logins; try again in %d seconds.", e.Seconds())
}

// Seconds is RetryAfter rounded up to whole seconds, as Retry-After says it.
func (e *ThrottledError) Seconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// Token is a new login's token, to be handed to the caller once, with
// whom it identifies.
type Token struct {
	Value     string
	ExpiresAt time.Time
	Caller    carebridge.Caller
}

var errBadCredentials = carebridge.Errorf(carebridge.ECREDENTIALS, "The organisation, username or password is wrong.")

// Login checks a user's password and opens a session. The answer and its
// timing are the same whether or not the user exists.
func (s *Service) Login(ctx context.Context, organisation, username, password, clientAddr string) (Token, error) {
	if len(organisation) > maxNameLen || len(username) > maxNameLen {
		s.observer().FailedLogin()
		return Token{}, errBadCredentials // no such user can exist
	}
	return s.attempt(ctx, organisation+"\x00"+username, clientAddr, func() (carebridge.User, int64, bool, error) {
		ok, u, err := s.check(ctx, organisation, username, password)
		return u, 0, ok, err
	})
}

// attempt runs one login attempt, throttled under userKey and the client
// address: counted against both together or not at all (an attempt
// refused for either leaves no key in the other's table), forgiven when
// it could not be judged (the client left, the store failed) or succeeded
// (a success is not counted, and forgives nothing before it: a guesser
// gets no fresh tries each time the real user logs in). judge finds the
// user and says whether the credential is right; a user whose role this
// audience does not admit is refused as a wrong credential is, after the
// same work, so the answer tells nothing. A success opens a session, with
// the web API key judge names (0: none).
func (s *Service) attempt(ctx context.Context, userKey, clientAddr string, judge func() (u carebridge.User, keyID int64, ok bool, err error)) (Token, error) {
	now := s.now()
	if refused, wait := AttemptAllRefused(now, ThrottleKey{s.users, userKey}, ThrottleKey{s.clients, clientAddr}); len(refused) > 0 {
		for _, i := range refused {
			s.observer().Throttled([]string{ThrottleLoginUser, ThrottleLoginAddress}[i])
		}
		return Token{}, &ThrottledError{RetryAfter: wait}
	}
	u, keyID, ok, err := judge()
	ok = ok && s.audience.Admits(u.Role)
	switch {
	case err != nil:
		s.users.Forgive(userKey)
		s.clients.Forgive(clientAddr)
		return Token{}, err
	case !ok:
		s.observer().FailedLogin()
		return Token{}, errBadCredentials
	}
	s.users.Forgive(userKey)
	s.clients.Forgive(clientAddr)
	return s.open(ctx, u, keyID, now)
}

// APIKeyBytes is the length of a web API key's random part; a key is
// written as twice as many lower-case hex characters.
const APIKeyBytes = 32

// NewAPIKey returns a fresh web API key, to be shown once and stored only
// as HashToken's digest.
func NewAPIKey() (string, error) { return NewSecret(APIKeyBytes) }

// LoginWithKey opens a session for the api user owning a web API key,
// exactly as Login does for a password: a key that is unknown or revoked,
// or whose user is disabled or not admitted by this audience, is refused
// as wrong credentials are. Attempts are throttled per key and per client
// address, in the tables Login uses.
func (s *Service) LoginWithKey(ctx context.Context, key, clientAddr string) (Token, error) {
	if key == "" || len(key) > maxAPIKeyLen {
		s.observer().FailedLogin()
		return Token{}, errBadCredentials // no such key can exist
	}
	keyHash := HashToken(key)
	// The key is counted in the usernames' table under its digest: the
	// table never holds the key, and only who knows the key's digest could
	// name the same entry through Login.
	return s.attempt(ctx, "api-key\x00"+string(keyHash), clientAddr, func() (carebridge.User, int64, bool, error) {
		u, keyID, err := s.store.UserForAPIKey(ctx, keyHash, carebridge.RoleAPI)
		if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
			return u, 0, false, nil
		}
		return u, keyID, err == nil, err
	})
}

// check verifies a password; an unknown user costs the same time as a
// known one.
func (s *Service) check(ctx context.Context, organisation, username, password string) (bool, carebridge.User, error) {
	u, err := s.store.UserForLogin(ctx, organisation, username)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		DummyVerify(ctx, password)
		return false, u, ctx.Err()
	case err != nil:
		return false, u, err
	}
	ok, err := VerifyPassword(ctx, u.PasswordHash, password)
	if err != nil {
		if ctx.Err() != nil {
			return false, u, ctx.Err()
		}
		return false, u, fmt.Errorf("verify password of user %d: %w", u.ID, err)
	}
	return ok, u, nil
}

// open opens a session of u, with the web API key keyID (0: none).
func (s *Service) open(ctx context.Context, u carebridge.User, keyID int64, now time.Time) (Token, error) {
	value, err := NewToken()
	if err != nil {
		return Token{}, err
	}
	t := Token{Value: value, ExpiresAt: now.Add(s.lifetime).UTC().Truncate(time.Second),
		Caller: carebridge.Caller{UserID: u.ID, Username: u.Username, Role: u.Role, OperatorID: u.OperatorID, OrganisationID: u.OrganisationID}}
	err = s.store.CreateSession(ctx, carebridge.Session{
		TokenHash: HashToken(value), Audience: s.audience, Caller: t.Caller,
		CreatedAt: now, ExpiresAt: t.ExpiresAt, APIKeyID: keyID,
	})
	return t, err
}

var errInvalidToken = carebridge.Errorf(carebridge.EUNAUTHORIZED, "The token is missing, unknown, expired or released; log in again.")

// Authenticate returns the caller behind a token.
func (s *Service) Authenticate(ctx context.Context, token string) (carebridge.Caller, error) {
	ss, err := s.Session(ctx, token)
	return ss.Caller, err
}

// Session returns the live session of a token: one opened for this
// audience, whose user is not disabled and holds a role the audience
// admits.
func (s *Service) Session(ctx context.Context, token string) (carebridge.Session, error) {
	if !LooksLikeToken(token) {
		return carebridge.Session{}, errInvalidToken
	}
	hash, now := HashToken(token), s.now()
	if c, ok := s.Sessions.Get(hash, now); ok {
		return carebridge.Session{TokenHash: hash, Audience: s.audience, Caller: c}, nil
	}
	ss, err := s.store.SessionByTokenHash(ctx, hash, now)
	if err == nil && (ss.Audience != s.audience || !s.audience.Admits(ss.Caller.Role)) {
		err = carebridge.Errorf(carebridge.ENOTFOUND, "not a session of this audience")
	}
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return carebridge.Session{}, errInvalidToken
	}
	if err == nil {
		s.Sessions.Put(hash, ss.Caller, now, ss.ExpiresAt)
	}
	return ss, err
}

// Release ends the session of a token, when it is one this audience
// accepts.
func (s *Service) Release(ctx context.Context, token string) error {
	if !LooksLikeToken(token) {
		return errInvalidToken
	}
	hash := HashToken(token)
	if _, err := s.Session(ctx, token); err != nil {
		return err
	}
	err := s.store.ReleaseSession(ctx, hash, s.now())
	s.Sessions.Forget(hash)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return errInvalidToken
	}
	if err == nil && s.Released != nil {
		s.Released(ctx, hash)
	}
	return err
}

// Forget drops a token from the session cache: another replica ended it.
func (s *Service) Forget(tokenHash []byte) { s.Sessions.Forget(tokenHash) }

// PurgeSessions deletes sessions that ended more than a day ago; the server
// calls it periodically so the table does not grow without bound.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	return s.store.DeleteSessionsEndedBefore(ctx, s.now().Add(-24*time.Hour))
}
