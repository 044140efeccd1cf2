package storetest

import (
	"testing"

	"carebridge/internal/netflix"
)

// CustomerPricesBackfill checks the migration that keeps each customer's
// approved prices in a table of their own. s is a database one version
// before it. approve marks charges APPROVED as settlement did then (without
// the table); migrate applies the remaining migrations. The show must then
// list the prices of the charges approved before the migration.
func CustomerPricesBackfill(t *testing.T, s Stores, approve func(chargeIDs ...int64), migrate func()) {
	tn := setup(t, func(*testing.T) Stores { return s })
	n, ctx := s.Netflix, tn.ctx
	ok(n.CreateSubscription(ctx, newSub(tn, "c1", "", base))).must(t)
	res := ok(n.IngestCharges(ctx, tn.op.ID, []netflix.NewCharge{
		charge("1", "c1", 599, base), charge("2", "c1", 299, base), charge("3", "c1", 599, base),
		charge("4", "c1", 100, base), // stays PENDING
		charge("5", "c2", 599, base), // another customer
	}, "", base)).must(t)
	approve(res[2].ChargeID, res[1].ChargeID, res[0].ChargeID, res[4].ChargeID)

	migrate()

	v := ok(n.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t)
	if len(v.Prices) != 2 || v.Prices[0] != usd(599) || v.Prices[1] != usd(299) {
		t.Fatalf("prices after the migration %+v, want 5.99 then 2.99", v.Prices)
	}
	// Settlement goes on from there.
	ok(n.SettleCharges(ctx, 10, base, netflix.Settlement)).must(t)
	v = ok(n.LatestSubscription(ctx, tn.op.ID, "c1", base)).must(t)
	if len(v.Prices) != 3 || v.Prices[2] != usd(100) {
		t.Fatalf("prices after settling the rest %+v, want 5.99, 2.99, 1.00", v.Prices)
	}
}
