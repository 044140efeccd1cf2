package partner_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"carebridge/internal/netflix"
	"carebridge/internal/partner"
)

func TestLocalRegistrationToken(t *testing.T) {
	t.Parallel()
	at := time.Date(2017, 2, 1, 18, 11, 54, 0, time.UTC)
	seen := map[string]bool{}
	for range 100 {
		tok, err := partner.Local{}.RegistrationToken(context.Background(), netflix.RegistrationRequest{
			OperatorID: 1, Customer: "pci123", Validity: 100 * time.Second, At: at,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(tok.Token) {
			t.Fatalf("token %q is not 32 lower-case hex characters", tok.Token)
		}
		if !tok.ExpiresAt.Equal(at.Add(100 * time.Second)) {
			t.Fatalf("expires %s, want %s", tok.ExpiresAt, at.Add(100*time.Second))
		}
		if seen[tok.Token] {
			t.Fatalf("token %s issued twice", tok.Token)
		}
		seen[tok.Token] = true
	}
}
