package netflix

import (
	"context"
	"time"
)

// Callsign is the Netflix plugin's name on the host.
const Callsign = "Netflix"

// Plugin is the Netflix plugin as the host sees it.
type Plugin struct {
	Store Store
	Now   func() time.Time
}

// FactoryReset wipes the plugin's data (CustomerCareOperations).
func (p Plugin) FactoryReset(ctx context.Context, actor string) error {
	return p.Store.FactoryReset(ctx, actor, p.Now())
}

func (Plugin) Callsign() string  { return Callsign }
func (Plugin) ClassName() string { return "Netflix" }
func (Plugin) Version() string   { return "1.0.0" }
