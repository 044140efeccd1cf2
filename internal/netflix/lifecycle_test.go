package netflix_test

import (
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/netflix"
)

// TestNextEveryPair walks every (action, from-state) pair against the life
// cycle table of the README.
func TestNextEveryPair(t *testing.T) {
	t.Parallel()
	type result struct {
		life, onNetflix netflix.State
	}
	// allowed is the README's table; every pair not in it is ECONFLICT.
	allowed := map[netflix.Action]map[netflix.State]result{
		netflix.ActionSuspend: {
			netflix.Effective: {netflix.NotEffective, netflix.NotEffective},
		},
		netflix.ActionUnsuspend: {
			netflix.NotEffective: {netflix.Effective, netflix.Effective},
		},
		netflix.ActionCancel: {
			netflix.Effective:    {netflix.Cancelled, netflix.NotEffective},
			netflix.NotEffective: {netflix.Cancelled, netflix.NotEffective},
		},
		netflix.ActionCreate: {
			netflix.Cancelled: {netflix.Effective, netflix.Effective},
		},
	}
	pastTense := map[netflix.Action]string{
		netflix.ActionSuspend:   "suspended",
		netflix.ActionUnsuspend: "unsuspended",
		netflix.ActionCancel:    "cancelled",
		netflix.ActionCreate:    "cancelled before another is created",
	}
	actions := []netflix.Action{netflix.ActionSuspend, netflix.ActionUnsuspend, netflix.ActionCancel, netflix.ActionCreate}
	states := []netflix.State{netflix.Effective, netflix.NotEffective, netflix.Cancelled}

	allowedSeen := 0
	for _, action := range actions {
		for _, from := range states {
			want, ok := allowed[action][from]
			if ok {
				allowedSeen++
			}
			t.Run(string(action)+"_from_"+string(from), func(t *testing.T) {
				t.Parallel()
				life, onNetflix, err := netflix.Next(action, from)
				if ok {
					if err != nil {
						t.Fatalf("Next(%s, %s) error = %v; want nil", action, from, err)
					}
					if life != want.life || onNetflix != want.onNetflix {
						t.Errorf("Next(%s, %s) = %s/%s; want %s/%s", action, from, life, onNetflix, want.life, want.onNetflix)
					}
					return
				}
				if code := carebridge.ErrorCode(err); code != carebridge.ECONFLICT {
					t.Fatalf("Next(%s, %s) code = %q (%v); want %q", action, from, code, err, carebridge.ECONFLICT)
				}
				if life != "" || onNetflix != "" {
					t.Errorf("Next(%s, %s) states = %q/%q on error; want empty", action, from, life, onNetflix)
				}
				msg := carebridge.ErrorMessage(err)
				if !strings.Contains(msg, string(from)) || !strings.Contains(msg, pastTense[action]) {
					t.Errorf("Next(%s, %s) message = %q; want it to name the state %s and %q", action, from, msg, from, pastTense[action])
				}
			})
		}
	}
	if allowedSeen != 5 {
		t.Fatalf("the table has %d allowed pairs; the README's has 5", allowedSeen)
	}
}

func TestNextUnknownAction(t *testing.T) {
	t.Parallel()
	for _, action := range []netflix.Action{"", "delete", "Suspend", "SUSPEND"} {
		for _, from := range []netflix.State{netflix.Effective, netflix.NotEffective, netflix.Cancelled} {
			t.Run(string(action)+"_from_"+string(from), func(t *testing.T) {
				t.Parallel()
				life, onNetflix, err := netflix.Next(action, from)
				if code := carebridge.ErrorCode(err); code != carebridge.EINTERNAL {
					t.Fatalf("Next(%q, %s) code = %q (%v); want %q", action, from, code, err, carebridge.EINTERNAL)
				}
				if life != "" || onNetflix != "" {
					t.Errorf("Next(%q, %s) states = %q/%q on error; want empty", action, from, life, onNetflix)
				}
			})
		}
	}
}

func TestNextUnknownFromState(t *testing.T) {
	t.Parallel()
	for _, action := range []netflix.Action{netflix.ActionSuspend, netflix.ActionUnsuspend, netflix.ActionCancel} {
		for _, from := range []netflix.State{"", "effective", "PENDING"} {
			t.Run(string(action)+"_from_"+string(from), func(t *testing.T) {
				t.Parallel()
				_, _, err := netflix.Next(action, from)
				if code := carebridge.ErrorCode(err); code != carebridge.ECONFLICT {
					t.Fatalf("Next(%s, %q) code = %q (%v); want %q", action, from, code, err, carebridge.ECONFLICT)
				}
			})
		}
	}
}
