package netflix

import "time"

// PendingSummary is the settlement backlog: how many charges wait and
// since when the oldest has waited.
type PendingSummary struct {
	Count  int64
	Oldest time.Time // created_at of the oldest PENDING charge the processor may settle; zero when none
}

// Observer is told what settlement and acknowledgement did, so that the
// server can count it without this package knowing how it is exported.
type Observer interface {
	// SettledBatch reports one settlement transaction that settled n
	// charges and took d.
	SettledBatch(n int, d time.Duration)
	// Acknowledged reports one charges/acknowledge call: how many items
	// were acknowledged and how many failed.
	Acknowledged(acknowledged, failed int)
}

// observe returns o, or an Observer that does nothing when o is nil.
func observe(o Observer) Observer {
	if o == nil {
		return nopObserver{}
	}
	return o
}

type nopObserver struct{}

func (nopObserver) SettledBatch(int, time.Duration) {}
func (nopObserver) Acknowledged(int, int)           {}
