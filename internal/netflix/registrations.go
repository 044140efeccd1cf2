package netflix

import (
	"context"
	"time"

	"carebridge"
)

// RegisterDevices registers ESNs to an operator in one transaction. An
// ESN registered to another operator fails and stays theirs; one already
// the operator's is a success and stays as it was registered.
func (r *Records) RegisterDevices(ctx context.Context, operatorID int64, esns []string, actor carebridge.Caller, at time.Time) ([]string, error) {
	if len(esns) == 0 {
		return nil, nil
	}
	var failed []string
	err := r.InTx(ctx, func(tx Tx) error {
		taken, err := tx.ClaimDevices(ctx, operatorID, esns, actor.UserID, at)
		failed = among(esns, taken)
		return err
	})
	if err != nil {
		return nil, err
	}
	return failed, nil
}

// UnregisterDevices removes ESNs from an operator in one transaction. An
// ESN not registered to the operator (another's, or no one's) fails, and
// is left as it is.
func (r *Records) UnregisterDevices(ctx context.Context, operatorID int64, esns []string) ([]string, error) {
	if len(esns) == 0 {
		return nil, nil
	}
	var failed []string
	err := r.InTx(ctx, func(tx Tx) error {
		released, err := tx.ReleaseDevices(ctx, operatorID, esns)
		failed = notAmong(esns, released)
		return err
	})
	if err != nil {
		return nil, err
	}
	return failed, nil
}

// among returns the ESNs of list that are in set, in list's order; nil
// when none is.
func among(list, set []string) []string {
	if len(set) == 0 {
		return nil
	}
	in := make(map[string]bool, len(set))
	for _, e := range set {
		in[e] = true
	}
	var out []string
	for _, e := range list {
		if in[e] {
			out = append(out, e)
		}
	}
	return out
}

// notAmong returns the ESNs of list that are not in set, in list's order;
// nil when all are.
func notAmong(list, set []string) []string {
	in := make(map[string]bool, len(set))
	for _, e := range set {
		in[e] = true
	}
	var out []string
	for _, e := range list {
		if !in[e] {
			out = append(out, e)
		}
	}
	return out
}
