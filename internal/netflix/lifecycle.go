package netflix

import "carebridge"

// Action is something a billing system does to a subscription.
type Action string

const (
	ActionCreate    Action = "create"
	ActionSuspend   Action = "suspend"
	ActionUnsuspend Action = "unsuspend"
	ActionCancel    Action = "cancel"
	// ActionReissueToken gives an EFFECTIVE subscription a new
	// registration token; its state stays as it was.
	ActionReissueToken Action = "reissue_token"
)

// transitions is the subscription life cycle (the README's table): for
// each action, the states it may start from and the life-cycle and Netflix
// states it leads to. Create may also start from no subscription at all.
var transitions = map[Action]struct {
	from            []State
	life, onNetflix State
}{
	ActionCreate:    {from: []State{Cancelled}, life: Effective, onNetflix: Effective},
	ActionSuspend:   {from: []State{Effective}, life: NotEffective, onNetflix: NotEffective},
	ActionUnsuspend: {from: []State{NotEffective}, life: Effective, onNetflix: Effective},
	ActionCancel:    {from: []State{Effective, NotEffective}, life: Cancelled, onNetflix: NotEffective},

	ActionReissueToken: {from: []State{Effective}, life: Effective, onNetflix: Effective},
}

// Next returns the life-cycle and Netflix states that action leads to from
// the life-cycle state from, or ECONFLICT when the action is not allowed.
func Next(action Action, from State) (life, onNetflix State, err error) {
	t, ok := transitions[action]
	if !ok {
		return "", "", carebridge.Errorf(carebridge.EINTERNAL, "unknown action %q", action)
	}
	for _, f := range t.from {
		if f == from {
			return t.life, t.onNetflix, nil
		}
	}
	if action == ActionCreate {
		return "", "", carebridge.Errorf(carebridge.ECONFLICT,
			"The customer already has a subscription that is %s; it must be cancelled before another is created.", from)
	}
	return "", "", carebridge.Errorf(carebridge.ECONFLICT,
		"The subscription is %s; it cannot be %s.", from, pastTense[action])
}

var pastTense = map[Action]string{
	ActionSuspend:   "suspended",
	ActionUnsuspend: "unsuspended",
	ActionCancel:    "cancelled",

	ActionReissueToken: "given a new activation token",
}
