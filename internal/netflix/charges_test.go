package netflix_test

import (
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/money"
	"carebridge/internal/netflix"
)

func TestChargeDatesWithinReason(t *testing.T) {
	at := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	for _, tc := range []struct {
		name        string
		received    time.Time
		paidThrough time.Time
		field       string // "" when valid
	}{
		{"ordinary", at(2017, 2, 4, 2, 0, 0), at(2017, 3, 4, 0, 0, 0), ""},
		{"first second allowed", at(1970, 1, 1, 0, 0, 0), time.Time{}, ""},
		{"last second allowed", at(2099, 12, 31, 23, 59, 59), at(2099, 12, 31, 23, 59, 59), ""},
		{"year 0000", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, "received_on"},
		{"year 1969", at(1969, 12, 31, 23, 59, 59), time.Time{}, "received_on"},
		{"year 2100", at(2100, 1, 1, 0, 0, 0), time.Time{}, "received_on"},
		{"year 9999", at(9999, 12, 31, 23, 59, 59), time.Time{}, "received_on"},
		{"paid through 9999", at(2017, 2, 4, 2, 0, 0), at(9999, 1, 1, 0, 0, 0), "paid_through_date"},
		{"paid through 0001", at(2017, 2, 4, 2, 0, 0), at(1, 1, 1, 0, 0, 1), "paid_through_date"},
		{"offset across the bound", time.Date(2099, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)), time.Time{}, "received_on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := netflix.NewCharge{PartnerChargeID: "p-1", Customer: "cust-1", Amount: money.Amount{Minor: 599, Currency: "USD"},
				ReceivedOn: tc.received, PaidThroughDate: tc.paidThrough}
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if carebridge.ErrorCode(err) != carebridge.EINVALID || !strings.HasPrefix(carebridge.ErrorMessage(err), tc.field+" ") ||
				!strings.Contains(carebridge.ErrorMessage(err), "1970-01-01 to 2099-12-31") {
				t.Fatalf("Validate() = %v, want EINVALID naming %s and the bounds", err, tc.field)
			}
		})
	}
}
