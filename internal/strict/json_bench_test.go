package strict

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkJSONReport checks a partner report of 1000 charges, against
// decoding the same bytes into a map, which every face does anyway.
func BenchmarkJSONReport(b *testing.B) {
	items := make([]map[string]any, 1000)
	for i := range items {
		items[i] = map[string]any{
			"partner_charge_id": fmt.Sprintf("nf-2017-%06d", i), "billing_system_customer_identifier": fmt.Sprintf("pci%d", i%97),
			"amount": json.Number("5.99"), "currency": "USD", "paid_through_date": "2017-03-04T02:00:00", "received_on": "2017-02-21T09:07:23",
		}
	}
	body, err := json.Marshal(map[string]any{"charges": items})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("strict", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := JSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var v map[string]json.RawMessage
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
