package netflix

// Callsign is the Netflix plugin's name on the host.
const Callsign = "Netflix"

// Plugin is the Netflix plugin as the host sees it.
type Plugin struct{}

// DataWiped is told of a factory reset (CustomerCareOperations). The
// plugin keeps nothing about its data in memory, so there is nothing to
// drop.
func (Plugin) DataWiped() {}

func (Plugin) Callsign() string  { return Callsign }
func (Plugin) ClassName() string { return "Netflix" }
func (Plugin) Version() string   { return "1.0.0" }
