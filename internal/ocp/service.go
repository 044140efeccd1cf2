package ocp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"carebridge"
	"carebridge/internal/auth"
	"carebridge/internal/tokencache"
)

// Service is what the OCP face calls.
type Service struct {
	Store         Store
	Now           func() time.Time
	TokenLifetime time.Duration
	// Tokens, when set, caches the applications of live access tokens by
	// token hash (see tokencache). Tokens end by expiring, which the cache
	// respects, or in a factory reset, which clears it (on the other
	// replicas too: the server calls Tokens.Clear when told of one).
	Tokens *tokencache.Cache[int64]
}

// Token is a new access token, handed to the client once.
type Token struct {
	Value     string
	ExpiresIn time.Duration
}

var errBadClient = carebridge.Errorf(carebridge.ECREDENTIALS, "Client authentication failed.")

// IssueToken is the client-credentials grant (RFC 6749 §4.4): it checks the
// client's secret and returns an access token. An unknown client costs the
// same time as a known one.
func (s *Service) IssueToken(ctx context.Context, clientID, clientSecret string) (Token, error) {
	if clientID == "" || len(clientID) > 128 || len(clientSecret) > 1024 {
		return Token{}, errBadClient
	}
	app, err := s.Store.ApplicationByClientID(ctx, clientID)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		auth.DummyVerify(ctx, clientSecret)
		return Token{}, errBadClient
	case err != nil:
		return Token{}, err
	}
	ok, err := auth.VerifyPassword(ctx, app.ClientSecretHash, clientSecret)
	if err != nil {
		return Token{}, fmt.Errorf("verify secret of application %d: %w", app.AppID, err)
	}
	if !ok {
		return Token{}, errBadClient
	}
	value, err := auth.NewSecret(32)
	if err != nil {
		return Token{}, err
	}
	now := s.Now().UTC()
	if err := s.Store.CreateToken(ctx, auth.HashToken(value), app.AppID, now, now.Add(s.TokenLifetime)); err != nil {
		return Token{}, err
	}
	return Token{Value: value, ExpiresIn: s.TokenLifetime}, nil
}

// Authenticate returns the application behind a live access token.
func (s *Service) Authenticate(ctx context.Context, token string) (int64, error) {
	if len(token) != 64 {
		return 0, errNotAuthorized
	}
	hash, now := auth.HashToken(token), s.Now()
	if appID, ok := s.Tokens.Get(hash, now); ok {
		return appID, nil
	}
	appID, expires, err := s.Store.TokenApplication(ctx, hash, now)
	if carebridge.ErrorCode(err) == carebridge.ENOTFOUND {
		return 0, errNotAuthorized
	}
	if err == nil {
		s.Tokens.Put(hash, appID, now, expires)
	}
	return appID, err
}

// DataWiped forgets the cached tokens once a factory reset has deleted
// them from the store.
func (s *Service) DataWiped() { s.Tokens.Clear() }

// CustomerIDs lists the customers an application may read.
func (s *Service) CustomerIDs(ctx context.Context, appID int64) ([]int64, error) {
	return s.Store.PermittedCustomers(ctx, appID)
}

// Profile returns a customer's profile to an application. A customer the
// application may not read is "Not Authorized" whether or not it exists,
// so nothing leaks; a permitted one without a record is ENOTFOUND.
func (s *Service) Profile(ctx context.Context, appID, customerID int64) (Profile, error) {
	p, err := s.Store.GrantedProfile(ctx, appID, customerID)
	if carebridge.ErrorCode(err) != carebridge.ENOTFOUND {
		return p, err // the common case: one read
	}
	// Not permitted, or permitted without a record. Either way the same
	// two reads, so the answer's timing does not tell an application that
	// may not read a customer whether the customer exists.
	ok, perr := s.Store.Permitted(ctx, appID, customerID)
	switch {
	case perr != nil:
		return Profile{}, perr
	case !ok:
		return Profile{}, errNotAuthorized
	}
	return Profile{}, err
}

// Validate checks a profile before it is stored.
func (p *Profile) Validate() error {
	if p.ID <= 0 {
		return carebridge.Errorf(carebridge.EINVALID, "id must be a positive integer.")
	}
	if p.NSID < 0 {
		return carebridge.Errorf(carebridge.EINVALID, "nsid must not be negative.")
	}
	if err := carebridge.ValidateName("name", p.Name); err != nil {
		return err
	}
	if p.Email != "" && !carebridge.ValidEmail(p.Email) {
		return carebridge.Errorf(carebridge.EINVALID, "email %q is not a valid email address.", p.Email)
	}
	if p.EnrollmentLevel == "" {
		p.EnrollmentLevel = None
	}
	if _, err := ParseLevel(string(p.EnrollmentLevel)); err != nil {
		return err
	}
	if p.OCPServices == nil {
		p.OCPServices = []string{}
	}
	for _, svc := range p.OCPServices {
		if !utf8.ValidString(svc) || len(svc) > 64 {
			return carebridge.Errorf(carebridge.EINVALID, "each OCP service name is valid UTF-8 of at most 64 bytes.")
		}
	}
	if p.DeviceSubsetStartTime < 0 {
		return carebridge.Errorf(carebridge.EINVALID, "deviceSubsetStartTime must not be negative.")
	}
	return nil
}

// SaveCustomers validates profiles and stores them in one transaction.
func (s *Service) SaveCustomers(ctx context.Context, ps []Profile) error {
	for i := range ps {
		if err := ps[i].Validate(); err != nil {
			return err
		}
	}
	return s.Store.SaveCustomers(ctx, ps, s.Now())
}

// CreateCustomer stores a new customer; ECONFLICT when the id is taken, so
// that a create never silently replaces someone else's profile.
func (s *Service) CreateCustomer(ctx context.Context, p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	created, err := s.Store.CreateCustomer(ctx, p, s.Now())
	if err == nil && !created {
		err = carebridge.Errorf(carebridge.ECONFLICT, "Customer %d already exists.", p.ID)
	}
	return err
}

// UpdateCustomer replaces an existing customer's profile; ENOTFOUND when
// there is none, so that a mistyped id is not created.
func (s *Service) UpdateCustomer(ctx context.Context, p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	updated, err := s.Store.UpdateCustomer(ctx, p, s.Now())
	if err == nil && !updated {
		err = carebridge.Errorf(carebridge.ENOTFOUND, "Customer %d does not exist.", p.ID)
	}
	return err
}

// NewApplication registers an application with a fresh client id and
// secret (or the given secret, for demo data); the secret is returned
// once and kept only as a hash.
func (s *Service) NewApplication(ctx context.Context, appID int64, name, secret string, customers []int64) (Application, string, error) {
	if appID <= 0 {
		return Application{}, "", carebridge.Errorf(carebridge.EINVALID, "the application id must be a positive integer.")
	}
	if err := carebridge.ValidateName("name", name); err != nil {
		return Application{}, "", err
	}
	if err := validIDs(customers); err != nil {
		return Application{}, "", err
	}
	if secret == "" {
		var err error
		if secret, err = auth.NewSecret(24); err != nil {
			return Application{}, "", err
		}
	}
	hash, err := auth.HashPassword(ctx, secret)
	if err != nil {
		return Application{}, "", err
	}
	app, err := s.Store.CreateApplication(ctx, Application{
		AppID: appID, Name: name, ClientID: fmt.Sprintf("app-%d", appID), ClientSecretHash: hash, CreatedAt: s.Now().UTC(),
	}, customers)
	return app, secret, err
}

func validIDs(ids []int64) error {
	for _, id := range ids {
		if id <= 0 {
			return carebridge.Errorf(carebridge.EINVALID, "customer ids are positive integers; got %d.", id)
		}
	}
	return nil
}

// Grant lets an application read more customers.
func (s *Service) Grant(ctx context.Context, appID int64, customers []int64) error {
	if err := validIDs(customers); err != nil {
		return err
	}
	return s.Store.Grant(ctx, appID, customers)
}

// Revoke takes customers away from an application. It is all or nothing:
// when any id was not granted (a typo, most likely) nothing is revoked and
// the error (ENOTFOUND) names those ids, rather than reporting success for
// a change that did not happen. The store decides nothing: it deletes and
// reports, and allRevoked refuses within its transaction.
func (s *Service) Revoke(ctx context.Context, appID int64, customers []int64) error {
	if err := validIDs(customers); err != nil {
		return err
	}
	return s.Store.Revoke(ctx, appID, customers, func(revoked []int64) error {
		return allRevoked(appID, customers, revoked)
	})
}

// allRevoked refuses a revoke that did not delete every asked-for grant,
// naming the ids that were not granted, ascending and each once.
func allRevoked(appID int64, asked, revoked []int64) error {
	done := make(map[int64]bool, len(revoked))
	for _, id := range revoked {
		done[id] = true
	}
	var missing []int64
	for _, id := range asked {
		if !done[id] {
			done[id] = true // name a repeated id once
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	never := make([]string, len(missing))
	for i, id := range missing {
		never[i] = strconv.FormatInt(id, 10)
	}
	word := "customer"
	if len(never) > 1 {
		word = "customers"
	}
	return carebridge.Errorf(carebridge.ENOTFOUND, "Application %d was never granted %s %s; nothing was revoked.",
		appID, word, strings.Join(never, ", "))
}
