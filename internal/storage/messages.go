package storage

// What both engines answer as ENOTFOUND from the queries each writes in
// its own dialect; the format's argument follows the message's name.
const (
	NoSubscription = "Customer %q has no Netflix subscription." // customer
	NoCharge       = "No charge %d."                            // id
)
