package crmapi

import (
	"context"

	"carebridge"

	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

// amountJSON writes money as a JSON number with the currency's decimals
// (5.99, never 5.989999771118164); an amount without a currency is null.
type amountJSON money.Amount

func (a amountJSON) MarshalJSON() ([]byte, error) {
	if a.Currency == "" {
		return []byte("null"), nil
	}
	return []byte(money.Amount(a).Number()), nil
}

// nullable writes "" as null.
type nullable string

func (s nullable) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return jsonString(string(s)), nil
}

type chargeJSON struct {
	Number                 string               `json:"number"`
	Customer               string               `json:"billing_system_customer_identifier"`
	Amount                 amountJSON           `json:"amount"`
	Currency               string               `json:"currency"`
	LocalCurrencyAmount    amountJSON           `json:"local_currency_amount"`
	LocalCurrency          nullable             `json:"local_currency"`
	PaidThroughDate        Time                 `json:"paid_through_date"`
	ChargeStatus           netflix.ChargeStatus `json:"charge_status"`
	ReceivedOn             Time                 `json:"received_on"`
	SetAsApprovedOn        Time                 `json:"set_as_approved_on"`
	SetAsDeclinedOn        Time                 `json:"set_as_declined_on"`
	SetAsBadRequestOn      Time                 `json:"set_as_bad_request_on"`
	SetAsRejectedRequestOn Time                 `json:"set_as_rejected_request_on"`
}

type chargesJSON struct {
	ChargesSet any `json:"charges_set"`
}

type failedChargeJSON struct {
	Number           string   `json:"number"`
	ErrorDescription string   `json:"error_description"`
	ErrorCode        string   `json:"error_code"`
	ReferenceNumber  nullable `json:"reference_number"`
}

type acknowledgedJSON struct {
	FailedChargesSet []failedChargeJSON `json:"failed_charges_set"`
}

// listCharges is GET netflix/charges/list.
func (h *Handler) listCharges(ctx context.Context, c *call) (any, error) {
	limit := c.int("number_of_results")
	class := c.required("charge_status")
	offset := c.int("offset")
	fields := c.fieldsSet()
	c.mandatory("number_of_results", limit != nil)
	c.mandatory("offset", offset != nil)
	if err := c.done(); err != nil {
		return nil, err
	}
	if _, err := fields.apply([]chargeJSON{}); err != nil {
		return nil, err
	}
	charges, err := h.netflix.ListCharges(ctx, c.caller, class, *limit, *offset)
	if err != nil {
		return nil, err
	}
	out := make([]chargeJSON, len(charges))
	for i, ch := range charges {
		out[i] = chargeJSON{
			Number: ch.Number(), Customer: ch.Customer,
			Amount: amountJSON(ch.Amount), Currency: ch.Amount.Currency,
			LocalCurrencyAmount: amountJSON(ch.LocalAmount), LocalCurrency: nullable(ch.LocalAmount.Currency),
			PaidThroughDate: Time(ch.PaidThroughDate), ChargeStatus: ch.Status, ReceivedOn: Time(ch.ReceivedOn),
			SetAsApprovedOn: Time(ch.ApprovedOn), SetAsDeclinedOn: Time(ch.DeclinedOn),
			SetAsBadRequestOn: Time(ch.BadRequestOn), SetAsRejectedRequestOn: Time(ch.RejectedOn),
		}
	}
	set, err := fields.apply(out)
	return chargesJSON{ChargesSet: set}, err
}

// acknowledgeCharges is POST netflix/charges/acknowledge.
func (h *Handler) acknowledgeCharges(ctx context.Context, c *call) (any, error) {
	items := c.objects("acknowledged_charges_set")
	acks := make([]netflix.Ack, len(items))
	for i, it := range items {
		acks[i] = netflix.Ack{
			Number:          it.string("number"),
			Customer:        it.string("billing_system_customer_identifier"),
			ReferenceNumber: it.string("reference_number"),
		}
		it.close()
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	failures, err := h.netflix.AcknowledgeCharges(ctx, c.caller, acks)
	if err != nil {
		return nil, err
	}
	out := acknowledgedJSON{FailedChargesSet: make([]failedChargeJSON, len(failures))}
	for i, f := range failures {
		out.FailedChargesSet[i] = failedChargeJSON{
			Number: f.Number, ErrorDescription: netflix.AckDescriptions[f.Code],
			ErrorCode: f.Code, ReferenceNumber: nullable(f.ReferenceNumber),
		}
	}
	return out, nil
}

// decideCharges is POST netflix/charges/accept or netflix/charges/decline,
// whose items come in set: an empty data object when every item
// succeeded, the failed items otherwise.
func (h *Handler) decideCharges(set string, decide func(*netflix.Service, context.Context, carebridge.Caller, []netflix.Decision) ([]netflix.AckFailure, error)) func(context.Context, *call) (any, error) {
	return func(ctx context.Context, c *call) (any, error) {
		items := c.objects(set)
		ds := make([]netflix.Decision, len(items))
		for i, it := range items {
			ds[i] = netflix.Decision{
				Number:          it.string("number"),
				Customer:        it.string("billing_system_customer_identifier"),
				ReferenceNumber: it.string("reference_number"),
			}
			it.close()
		}
		if err := c.done(); err != nil {
			return nil, err
		}
		failures, err := decide(h.netflix, ctx, c.caller, ds)
		if err != nil {
			return nil, err
		}
		if len(failures) == 0 {
			return struct{}{}, nil
		}
		out := acknowledgedJSON{FailedChargesSet: make([]failedChargeJSON, len(failures))}
		for i, f := range failures {
			out.FailedChargesSet[i] = failedChargeJSON{
				Number: f.Number, ErrorDescription: netflix.DecisionDescriptions[f.Code],
				ErrorCode: f.Code, ReferenceNumber: nullable(f.ReferenceNumber),
			}
		}
		return out, nil
	}
}
