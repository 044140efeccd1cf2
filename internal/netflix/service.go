package netflix

import (
	"context"
	"time"

	"carebridge"
)

// PartnerGateway is the link to the partner (Netflix). The built-in
// implementation issues tokens locally; a real partner adapter plugs in
// behind the same interface.
type PartnerGateway interface {
	// RegistrationToken asks the partner for a token that sends the
	// customer to the partner's registration page.
	RegistrationToken(ctx context.Context, r RegistrationRequest) (RegistrationToken, error)
}

// RegistrationRequest is what the partner is told about a new subscriber.
type RegistrationRequest struct {
	OperatorID int64
	Customer   string
	Validity   time.Duration
	At         time.Time
}

// RegistrationToken is the partner's answer.
type RegistrationToken struct {
	Token     string
	ExpiresAt time.Time
}

// Service is what the CRM.COM face calls: the Netflix methods, each checked
// and scoped to the caller's operator.
type Service struct {
	Store    Store
	Partner  PartnerGateway
	Groups   GroupResolver
	Now      func() time.Time
	Settled  Kicker   // woken when charges arrive; may be nil
	Observer Observer // told of acknowledgements; may be nil
	Notifier Notifier // told of committed changes; nil: nobody
}

// Kicker is woken to do work now rather than at its next tick.
type Kicker interface{ Kick() }

// Created is the answer to subscriptions/create.
type Created struct {
	Subscription Subscription
	Token        RegistrationToken
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// Promotions lists the caller's operator's promotions.
func (s *Service) Promotions(ctx context.Context, caller carebridge.Caller) ([]Promotion, error) {
	return s.Store.Promotions(ctx, caller.OperatorID)
}

// Show returns the customer's most recent subscription.
func (s *Service) Show(ctx context.Context, caller carebridge.Caller, customer string) (SubscriptionView, error) {
	if err := ValidateCustomer(customer); err != nil {
		return SubscriptionView{}, err
	}
	since := s.now().AddDate(0, -PromotionLookbackMonths, 0)
	return s.Store.LatestSubscription(ctx, caller.OperatorID, customer, since)
}

// Create registers a new subscriber. The request is checked against the
// store first (promotion, live subscription), so that the partner is not
// asked for a token that cannot be used; then the token is requested, and
// only then is the subscription stored (the store checks again inside its
// transaction), so that no subscription exists without a token. If a
// concurrent create wins in between, the token is left to expire unused.
func (s *Service) Create(ctx context.Context, caller carebridge.Caller, r CreateRequest) (Created, error) {
	if err := r.Validate(); err != nil {
		return Created{}, err
	}
	now := s.now()
	if err := s.precheck(ctx, caller.OperatorID, r, now); err != nil {
		return Created{}, err
	}
	tok, err := s.Partner.RegistrationToken(ctx, RegistrationRequest{
		OperatorID: caller.OperatorID, Customer: r.Customer, Validity: r.Validity(), At: now,
	})
	if err != nil {
		return Created{}, err
	}
	sub, err := s.Store.CreateSubscription(ctx, NewSubscription{
		OperatorID: caller.OperatorID, Request: r, Actor: caller, At: now, TokenExpiresAt: tok.ExpiresAt,
	})
	if err != nil {
		return Created{}, err
	}
	notify(s.Notifier).SubscriptionChanged(ctx, subscriptionChange(sub, caller.Username, ""))
	return Created{Subscription: sub, Token: tok}, nil
}

// precheck reads what CreateSubscription will check, without locking.
func (s *Service) precheck(ctx context.Context, operatorID int64, r CreateRequest, now time.Time) error {
	if r.PromotionCode != "" {
		p, err := s.Store.Promotion(ctx, operatorID, r.PromotionCode)
		if err != nil {
			return err
		}
		if err := p.CheckInEffect(now); err != nil {
			return err
		}
	}
	latest, err := s.Store.LatestSubscription(ctx, operatorID, r.Customer, now)
	switch {
	case carebridge.ErrorCode(err) == carebridge.ENOTFOUND:
		return nil
	case err != nil:
		return err
	}
	_, _, err = Next(ActionCreate, latest.LifeCycleState)
	return err
}

// Transition suspends, unsuspends or cancels the customer's subscription.
func (s *Service) Transition(ctx context.Context, caller carebridge.Caller, customer string, action Action) (Subscription, error) {
	if err := ValidateCustomer(customer); err != nil {
		return Subscription{}, err
	}
	sub, err := s.Store.TransitionSubscription(ctx, caller.OperatorID, customer, action, caller, "", s.now())
	if err != nil {
		return Subscription{}, err
	}
	notify(s.Notifier).SubscriptionChanged(ctx, subscriptionChange(sub, caller.Username, ""))
	return sub, nil
}

// CreatePromotion adds a promotion for an operator (admin CLI, demo data).
func (s *Service) CreatePromotion(ctx context.Context, p Promotion) (Promotion, error) {
	if err := p.Validate(); err != nil {
		return Promotion{}, err
	}
	return s.Store.CreatePromotion(ctx, p, s.now())
}

// Validate checks a promotion before it is stored.
func (p Promotion) Validate() error {
	if p.Code == "" {
		return missing("code")
	}
	if err := checkText("code", p.Code, 64); err != nil {
		return err
	}
	if p.Name == "" {
		return missing("name")
	}
	if err := checkText("name", p.Name, maxTextLen); err != nil {
		return err
	}
	if err := checkText("description", p.Description, 1024); err != nil {
		return err
	}
	if p.EffectiveFrom.IsZero() {
		return missing("effective_from")
	}
	if !p.ExpiresOn.IsZero() && !p.ExpiresOn.After(p.EffectiveFrom) {
		return invalid("expires_on must be after effective_from.")
	}
	return nil
}
