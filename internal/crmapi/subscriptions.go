package crmapi

import (
	"context"

	"carebridge/internal/netflix"
)

// The JSON shapes of the Netflix methods, fields in the document's order.

type promotionJSON struct {
	Code          string  `json:"code"`
	ExpiresOn     Time    `json:"expires_on"`
	Name          string  `json:"name"`
	Description   *string `json:"description"`
	EffectiveFrom Time    `json:"effective_from"`
}

func promotionsJSON(ps []netflix.Promotion) []promotionJSON {
	out := make([]promotionJSON, len(ps))
	for i, p := range ps {
		out[i] = promotionJSON{Code: p.Code, ExpiresOn: Time(p.ExpiresOn), Name: p.Name, EffectiveFrom: Time(p.EffectiveFrom)}
		if p.Description != "" {
			out[i].Description = &p.Description
		}
	}
	return out
}

type priceJSON struct {
	FormattedPrice string `json:"FormattedPrice"`
}

type subscriptionJSON struct {
	NetflixState       netflix.State   `json:"netflix_state"`
	PromotionsSet      []promotionJSON `json:"promotions_set"`
	SubscriptionNumber string          `json:"subscription_number"`
	PricesSet          []priceJSON     `json:"prices_set"`
	LifeCycleState     netflix.State   `json:"life_cycle_state"`
}

type createdJSON struct {
	SubscriptionNumber         string `json:"subscription_number"`
	NetflixToken               string `json:"netflix_token"`
	NetflixTokenExpirationDate Time   `json:"netflix_token_expiration_date"`
}

// listPromotions is GET netflix/promotions/list.
func (h *Handler) listPromotions(ctx context.Context, c *call) (any, error) {
	fields := c.fieldsSet()
	if err := c.done(); err != nil {
		return nil, err
	}
	if _, err := fields.apply([]promotionJSON{}); err != nil {
		return nil, err
	}
	ps, err := h.netflix.Promotions(ctx, c.caller)
	if err != nil {
		return nil, err
	}
	return fields.apply(promotionsJSON(ps))
}

// showSubscription is GET netflix/subscriptions/show.
func (h *Handler) showSubscription(ctx context.Context, c *call) (any, error) {
	customer := c.required("billing_system_customer_identifier")
	fields := c.fieldsSet()
	if err := c.done(); err != nil {
		return nil, err
	}
	if _, err := fields.apply(subscriptionJSON{}); err != nil {
		return nil, err
	}
	v, err := h.netflix.Show(ctx, c.caller, customer)
	if err != nil {
		return nil, err
	}
	prices := make([]priceJSON, len(v.Prices))
	for i, p := range v.Prices {
		prices[i] = priceJSON{FormattedPrice: p.Format()}
	}
	return fields.apply(subscriptionJSON{
		NetflixState:       v.NetflixState,
		PromotionsSet:      promotionsJSON(v.Promotions),
		SubscriptionNumber: v.Number(),
		PricesSet:          prices,
		LifeCycleState:     v.LifeCycleState,
	})
}

// createSubscription is POST netflix/subscriptions/create.
func (h *Handler) createSubscription(ctx context.Context, c *call) (any, error) {
	req := netflix.CreateRequest{
		Customer:         c.required("billing_system_customer_identifier"),
		PromotionCode:    c.string("promotion_code"),
		Channel:          c.string("channel"),
		ValidityDuration: c.int("validity_duration"),
		FirstName:        c.string("customer_first_name"),
		LastName:         c.string("customer_last_name"),
		Address:          readAddress(c.object("customer_address")),
		Email:            readEmail(c.object("customer_email")),
		Phone:            readPhone(c.object("customer_phone")),
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	created, err := h.netflix.Create(ctx, c.caller, req)
	if err != nil {
		return nil, err
	}
	return createdJSON{
		SubscriptionNumber:         created.Subscription.Number(),
		NetflixToken:               created.Token.Token,
		NetflixTokenExpirationDate: Time(created.Token.ExpiresAt),
	}, nil
}

// transition is POST netflix/subscriptions/suspend, unsuspend and cancel.
func (h *Handler) transition(action netflix.Action) method {
	return func(ctx context.Context, c *call) (any, error) {
		customer := c.required("billing_system_customer_identifier")
		if err := c.done(); err != nil {
			return nil, err
		}
		_, err := h.netflix.Transition(ctx, c.caller, customer, action)
		return emptyObject{}, err
	}
}

func readAddress(p *params) *netflix.Address {
	if p == nil {
		return nil
	}
	a := &netflix.Address{
		Type:                p.string("type"),
		IsPrimary:           p.bool("is_primary"),
		PostalCode:          p.string("postal_code"),
		StreetName:          p.string("street_name"),
		StreetNumber:        p.string("street_number"),
		Floor:               p.int("floor"),
		ApartmentNumber:     p.string("apartment_number"),
		Area:                p.string("area"),
		TownCity:            p.string("town_city"),
		District:            p.string("district"),
		Municipality:        p.string("municipality"),
		Country:             readCountry(p.object("country_identifier")),
		POBox:               p.string("po_box"),
		POBoxPostalCode:     p.string("po_box_postal_code"),
		CareOf:              p.string("care_of"),
		AddressLine1:        p.string("address_line_1"),
		AddressLine2:        p.string("address_line_2"),
		StateProvinceCounty: p.string("state_province_county"),
		UDF:                 p.udfs(netflix.AddressUDFs),
	}
	p.close()
	return a
}

func readEmail(p *params) *netflix.Email {
	if p == nil {
		return nil
	}
	e := &netflix.Email{
		Type:      p.string("type"),
		IsPrimary: p.bool("is_primary"),
		Address:   p.string("email_address"),
		Notes:     p.string("notes"),
		UDF:       p.udfs(netflix.EmailUDFs),
	}
	p.close()
	return e
}

func readPhone(p *params) *netflix.Phone {
	if p == nil {
		return nil
	}
	ph := &netflix.Phone{
		Type:      p.string("type"),
		IsPrimary: p.bool("is_primary"),
		Number:    p.string("number"),
		AreaCode:  p.string("area_code"),
		Country:   readCountry(p.object("country_identifier")),
		Notes:     p.string("notes"),
		UDF:       p.udfs(netflix.PhoneUDFs),
	}
	p.close()
	return ph
}

func readCountry(p *params) *netflix.Country {
	if p == nil {
		return nil
	}
	c := &netflix.Country{
		ID:                 p.string("id"),
		Name:               p.string("name"),
		AlternativeCode:    p.string("alternative_code"),
		TwoCharacterCode:   p.string("two_character_code"),
		ThreeCharacterCode: p.string("three_character_code"),
	}
	p.close()
	return c
}
