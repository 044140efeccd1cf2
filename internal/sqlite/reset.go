package sqlite

import (
	"context"
	"fmt"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/ocp"
)

// pluginTables are the tables of each plugin that owns data, children
// before parents, which is the order a factory reset deletes them in.
// Operators and their partner secrets are platform data and stay; so do
// the sequences, so that numbers are never reused.
var pluginTables = map[string][]string{
	netflix.Callsign: {
		"netflix_reference_numbers", "netflix_charge_acknowledgements", "netflix_charge_events",
		"netflix_customer_prices", "netflix_charges", "netflix_devices", "netflix_redemptions",
		"netflix_subscription_events", "netflix_subscriptions", "netflix_promotions",
	},
	ocp.Callsign: {"ocp_tokens", "ocp_application_customers", "ocp_applications", "ocp_customers"},
}

// FactoryReset deletes every row of the plugins' tables and writes one
// audit record per plugin, in the order given, all in one transaction:
// the plugins are reset together or not at all.
func (db *DB) FactoryReset(ctx context.Context, actor string, at time.Time, callsigns []string) error {
	for _, c := range callsigns {
		if _, ok := pluginTables[c]; !ok {
			return fmt.Errorf("sqlite: factory reset: plugin %q owns no data here", c)
		}
	}
	return db.writeTx(ctx, func(tx *wtx) error {
		for _, c := range callsigns {
			for _, t := range pluginTables[c] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, subject) VALUES (?, ?, 'factory-reset', ?)`,
				unix(at), actor, c); err != nil {
				return err
			}
		}
		return nil
	})
}
