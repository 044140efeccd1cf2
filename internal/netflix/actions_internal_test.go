package netflix

import (
	"slices"
	"testing"
)

// What a care agent may do to a subscription follows the life cycle.
func TestAllowedActions(t *testing.T) {
	for state, want := range map[State][]Action{
		Effective:    {ActionSuspend, ActionCancel, ActionReissueToken},
		NotEffective: {ActionUnsuspend, ActionCancel},
		Cancelled:    {},
	} {
		if got := allowedActions(state); !slices.Equal(got, want) {
			t.Errorf("allowedActions(%s) = %v, want %v", state, got, want)
		}
	}
}
