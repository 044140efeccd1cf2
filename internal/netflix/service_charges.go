package netflix

import (
	"context"

	"carebridge"
)

// GroupResolver finds an operator of an organisation by its group
// identifier; the platform's tenancy store is one.
type GroupResolver interface {
	OperatorByGroup(ctx context.Context, organisationID int64, g carebridge.GroupIdentifier) (carebridge.Operator, error)
}

// ListCharges is charges/list: the caller's operator's charges of one class
// whose current status is not yet acknowledged.
func (s *Service) ListCharges(ctx context.Context, caller carebridge.Caller, class string, limit, offset int64) ([]Charge, error) {
	processed, err := ParseChargeClass(class)
	if err != nil {
		return nil, err
	}
	if err := ValidateList(limit, offset); err != nil {
		return nil, err
	}
	return s.Store.UnacknowledgedCharges(ctx, caller.OperatorID, ListRequest{Processed: processed, Limit: int(limit), Offset: int(offset)})
}

// AcknowledgeCharges is charges/acknowledge.
func (s *Service) AcknowledgeCharges(ctx context.Context, caller carebridge.Caller, acks []Ack) ([]AckFailure, error) {
	if err := ValidateAcks(acks); err != nil {
		return nil, err
	}
	failed, err := s.Store.AcknowledgeCharges(ctx, caller.OperatorID, acks, caller, s.now())
	if err == nil {
		observe(s.Observer).Acknowledged(len(acks)-len(failed), len(failed))
	}
	return failed, err
}

// AcceptCharges is charges/accept: the caller's operator settles PENDING
// charges APPROVED.
func (s *Service) AcceptCharges(ctx context.Context, caller carebridge.Caller, ds []Decision) ([]AckFailure, error) {
	return s.decideCharges(ctx, caller, "accepted_charges_set", ds, Approved)
}

// DeclineCharges is charges/decline: the caller's operator settles
// PENDING charges DECLINED, which ends the customers' subscriptions.
func (s *Service) DeclineCharges(ctx context.Context, caller carebridge.Caller, ds []Decision) ([]AckFailure, error) {
	return s.decideCharges(ctx, caller, "declined_charges_set", ds, Declined)
}

func (s *Service) decideCharges(ctx context.Context, caller carebridge.Caller, set string, ds []Decision, status ChargeStatus) ([]AckFailure, error) {
	if err := ValidateDecisions(set, ds); err != nil {
		return nil, err
	}
	failed, settled, err := s.Store.DecideCharges(ctx, caller.OperatorID, ds, status, caller, s.now())
	if err != nil {
		return nil, err
	}
	for _, d := range settled {
		notify(s.Notifier).ChargeChanged(ctx, d.Charge)
		if d.Cancelled != nil {
			notify(s.Notifier).SubscriptionChanged(ctx, *d.Cancelled)
		}
	}
	return failed, nil
}

// RegisterDevices is operators/register_devices: it returns the ESNs that
// failed (invalid, duplicated in the request, or another operator's).
func (s *Service) RegisterDevices(ctx context.Context, caller carebridge.Caller, g carebridge.GroupIdentifier, esns []string) ([]string, error) {
	op, apply, failed, err := s.devices(ctx, caller, g, esns)
	if err != nil || len(apply) == 0 {
		return failed, err
	}
	taken, err := s.Store.RegisterDevices(ctx, op.ID, apply, caller, s.now())
	return inRequestOrder(esns, failed, taken), err
}

// UnregisterDevices is operators/unregister_devices: it returns the ESNs
// that failed (invalid, duplicated, or not registered to the operator).
func (s *Service) UnregisterDevices(ctx context.Context, caller carebridge.Caller, g carebridge.GroupIdentifier, esns []string) ([]string, error) {
	op, apply, failed, err := s.devices(ctx, caller, g, esns)
	if err != nil || len(apply) == 0 {
		return failed, err
	}
	absent, err := s.Store.UnregisterDevices(ctx, op.ID, apply)
	return inRequestOrder(esns, failed, absent), err
}

// inRequestOrder lists each failed ESN once, in the order the request
// first named it, whichever check failed it.
func inRequestOrder(esns []string, failures ...[]string) []string {
	failed := map[string]bool{}
	for _, f := range failures {
		for _, e := range f {
			failed[e] = true
		}
	}
	out := make([]string, 0, len(failed))
	for _, e := range esns {
		if failed[e] {
			out = append(out, e)
			delete(failed, e)
		}
	}
	return out
}

// devices checks a device request and resolves its group within the
// caller's organisation.
func (s *Service) devices(ctx context.Context, caller carebridge.Caller, g carebridge.GroupIdentifier, esns []string) (op carebridge.Operator, apply, failed []string, err error) {
	if err = g.Validate(); err != nil {
		return op, nil, nil, err
	}
	if apply, failed, err = SplitESNs(esns); err != nil {
		return op, nil, nil, err
	}
	op, err = s.Groups.OperatorByGroup(ctx, caller.OrganisationID, g)
	return op, apply, failed, err
}

// Ingest stores a partner's report of charges for an operator. Invalid
// items are refused one by one; the valid ones are stored together, and
// the processor is woken to settle them; the Notifier hears of each
// charge stored by this call, not of one stored before. A report whose every item was
// refused by the face arrives empty and stores nothing. report identifies
// a signed report (its signature), so that the same report sent again is
// answered as the first time; "" for charges loaded otherwise.
func (s *Service) Ingest(ctx context.Context, operatorID int64, charges []NewCharge, report string) ([]IngestResult, error) {
	if len(charges) > MaxChargesPerReport {
		return nil, invalid("charges has %d items; at most %d are allowed.", len(charges), MaxChargesPerReport)
	}
	results := make([]IngestResult, len(charges))
	var valid []NewCharge
	var at []int
	for i, c := range charges {
		results[i].PartnerChargeID = c.PartnerChargeID
		if err := c.Validate(); err != nil {
			results[i].Err = err
			continue
		}
		valid = append(valid, c)
		at = append(at, i)
	}
	if len(valid) == 0 {
		return results, nil
	}
	stored, err := s.Store.IngestCharges(ctx, operatorID, valid, report, s.now())
	if err != nil {
		return nil, err
	}
	for j, r := range stored {
		results[at[j]] = r
		if r.Inserted {
			notify(s.Notifier).ChargeChanged(ctx, ChargeChange{OperatorID: operatorID, Number: ChargeNumber(r.ChargeID),
				Customer: valid[j].Customer, Status: Pending})
		}
	}
	if s.Settled != nil {
		s.Settled.Kick()
	}
	return results, nil
}
