package ocp

import "carebridge"

// Level is a customer's enrollment level: a permission that decides which
// actions OCP performs on the customer's behalf.
type Level string

const (
	None    Level = "None"
	Base    Level = "Base"
	Premium Level = "Premium"
)

// Levels lists the enrollment levels from least to most.
var Levels = []Level{None, Base, Premium}

func (l Level) rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// ParseLevel reads a level's exact name.
func ParseLevel(s string) (Level, error) {
	if l := Level(s); l.rank() >= 0 {
		return l, nil
	}
	return "", carebridge.Errorf(carebridge.EINVALID, "enrollment level must be None, Base or Premium; got %q.", s)
}

// Action is something done on a customer's behalf that a level may gate.
type Action string

// ResetWireless is the OCP document's example: a Premium feature.
const ResetWireless Action = "Reset Wireless"

// requiredLevel is the least level each gated action needs; an action not
// listed needs none.
var requiredLevel = map[Action]Level{
	ResetWireless: Premium,
}

// Allows is the one check of whether a customer's enrollment level permits
// an action: nil, or EFORBIDDEN naming the level needed.
func (p Profile) Allows(a Action) error {
	need, gated := requiredLevel[a]
	if !gated || p.EnrollmentLevel.rank() >= need.rank() {
		return nil
	}
	return carebridge.Errorf(carebridge.EFORBIDDEN,
		"%q needs enrollment level %s; customer %d is %s.", a, need, p.ID, p.EnrollmentLevel)
}
