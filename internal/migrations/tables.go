package migrations

import (
	"fmt"

	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
)

// PluginTables are the tables each data-owning plugin has in both engines'
// schemas, by callsign, children before parents: the order a factory reset
// deletes them in. Operators and their partner secrets are platform data
// and are not listed; neither are the sequences, so that numbers are never
// reused.
var PluginTables = map[string][]string{
	netflix.Callsign: {
		"netflix_webhook_deliveries", "netflix_webhook_events", "netflix_idempotency_keys",
		"netflix_reference_numbers", "netflix_charge_acknowledgements", "netflix_charge_events",
		"netflix_customer_prices", "netflix_charges", "netflix_devices", "netflix_redemptions",
		"netflix_subscription_events", "netflix_subscriptions", "netflix_promotions",
	},
	ocp.Callsign: {"ocp_tokens", "ocp_application_customers", "ocp_applications", "ocp_customers"},
}

// ResetTables lists the tables of each plugin named, in the order given,
// or fails on a callsign that owns no tables: a reset naming one must not
// start.
func ResetTables(callsigns []string) ([][]string, error) {
	out := make([][]string, len(callsigns))
	for i, c := range callsigns {
		tables, ok := PluginTables[c]
		if !ok {
			return nil, fmt.Errorf("factory reset: plugin %q owns no data here", c)
		}
		out[i] = tables
	}
	return out, nil
}
