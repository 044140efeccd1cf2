package partnerapi_test

import (
	"testing"
	"time"

	"carebridge/internal/partnerapi"
)

// The worked example of README.md ("How a partner signs a charge report"):
// if this changes, the README is wrong.
func TestSignReadmeExample(t *testing.T) {
	t.Parallel()
	secret := "5f0c6d1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
	body := `{"charges":[{"partner_charge_id":"nf-2017-0001","billing_system_customer_identifier":"pci150","amount":5.99,"currency":"USD","paid_through_date":"2017-03-04T02:00:00","received_on":"2017-02-21T09:07:23"}]}`
	got := partnerapi.Sign(secret, time.Unix(1487668043, 0), []byte(body))
	want := "t=1487668043,v1=6d2f3ae1fdc8713b07b0a14a956e2179f4c3bfc971be3cf6e3e6405162af52a3"
	if got != want {
		t.Fatalf("Sign = %s\nwant  %s", got, want)
	}
}
