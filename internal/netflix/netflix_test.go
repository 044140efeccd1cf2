package netflix_test

import (
	"strings"
	"testing"
	"time"

	"carebridge"
	"carebridge/internal/netflix"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestPromotionInEffect(t *testing.T) {
	t.Parallel()
	bounded := netflix.Promotion{Code: "14", Name: "Spring", EffectiveFrom: t0, ExpiresOn: t0.Add(30 * 24 * time.Hour)}
	open := netflix.Promotion{Code: "15", Name: "Forever", EffectiveFrom: t0}
	tests := []struct {
		name string
		p    netflix.Promotion
		at   time.Time
		want bool
	}{
		{"before effective_from", bounded, t0.Add(-time.Nanosecond), false},
		{"at effective_from (inclusive)", bounded, t0, true},
		{"in the middle", bounded, t0.Add(15 * 24 * time.Hour), true},
		{"just before expires_on", bounded, bounded.ExpiresOn.Add(-time.Nanosecond), true},
		{"at expires_on (exclusive)", bounded, bounded.ExpiresOn, false},
		{"after expires_on", bounded, bounded.ExpiresOn.Add(time.Hour), false},
		{"no expiry, before effective_from", open, t0.Add(-time.Second), false},
		{"no expiry, at effective_from", open, t0, true},
		{"no expiry, far future", open, t0.AddDate(100, 0, 0), true},
		{"same instant in another zone", bounded, t0.In(time.FixedZone("EET", 2*3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.InEffect(tt.at); got != tt.want {
				t.Errorf("InEffect(%v) = %v; want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestPromotionValidate(t *testing.T) {
	t.Parallel()
	valid := func() netflix.Promotion {
		return netflix.Promotion{
			OperatorID:    1,
			Code:          "14",
			Name:          "Spring offer",
			Description:   "First month free",
			EffectiveFrom: t0,
			ExpiresOn:     t0.AddDate(0, 1, 0),
		}
	}
	tests := []struct {
		name     string
		mutate   func(p *netflix.Promotion)
		wantCode string // "" means valid
		wantPath string
	}{
		{"valid", func(p *netflix.Promotion) {}, "", ""},
		{"no description", func(p *netflix.Promotion) { p.Description = "" }, "", ""},
		{"no expiry", func(p *netflix.Promotion) { p.ExpiresOn = time.Time{} }, "", ""},
		{"expires one second after start", func(p *netflix.Promotion) { p.ExpiresOn = t0.Add(time.Second) }, "", ""},
		{"code of 64 characters", func(p *netflix.Promotion) { p.Code = strings.Repeat("c", 64) }, "", ""},
		{"name of 255 characters", func(p *netflix.Promotion) { p.Name = strings.Repeat("n", 255) }, "", ""},
		{"description of 1024 characters", func(p *netflix.Promotion) { p.Description = strings.Repeat("d", 1024) }, "", ""},
		{"missing code", func(p *netflix.Promotion) { p.Code = "" }, carebridge.EMISSING, "code"},
		{"code of 65 characters", func(p *netflix.Promotion) { p.Code = strings.Repeat("c", 65) }, carebridge.EINVALID, "code"},
		{"code with a control character", func(p *netflix.Promotion) { p.Code = "1\n4" }, carebridge.EINVALID, "code"},
		{"missing name", func(p *netflix.Promotion) { p.Name = "" }, carebridge.EMISSING, "name"},
		{"name of 256 characters", func(p *netflix.Promotion) { p.Name = strings.Repeat("n", 256) }, carebridge.EINVALID, "name"},
		{"name not UTF-8", func(p *netflix.Promotion) { p.Name = "Spring\xff" }, carebridge.EINVALID, "name"},
		{"description of 1025 characters", func(p *netflix.Promotion) { p.Description = strings.Repeat("d", 1025) }, carebridge.EINVALID, "description"},
		{"description with a control character", func(p *netflix.Promotion) { p.Description = "free\x7f" }, carebridge.EINVALID, "description"},
		{"missing effective_from", func(p *netflix.Promotion) { p.EffectiveFrom = time.Time{} }, carebridge.EMISSING, "effective_from"},
		{"expires_on equal to effective_from", func(p *netflix.Promotion) { p.ExpiresOn = p.EffectiveFrom }, carebridge.EINVALID, "expires_on"},
		{"expires_on before effective_from", func(p *netflix.Promotion) { p.ExpiresOn = t0.Add(-time.Hour) }, carebridge.EINVALID, "expires_on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tt.mutate(&p)
			err := p.Validate()
			if code := carebridge.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("Validate() code = %q (%v); want %q", code, err, tt.wantCode)
			}
			if tt.wantCode != "" && !strings.HasPrefix(carebridge.ErrorMessage(err), tt.wantPath+" ") {
				t.Errorf("Validate() message = %q; want it to begin with %q", carebridge.ErrorMessage(err), tt.wantPath)
			}
		})
	}
}

func TestSubscriptionNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   int64
		want string
	}{
		{3566, "S0000003566"}, // the document's example
		{1, "S0000000001"},
		{9999999999, "S9999999999"},
		{10000000000, "S10000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := netflix.SubscriptionNumber(tt.id); got != tt.want {
				t.Errorf("SubscriptionNumber(%d) = %q; want %q", tt.id, got, tt.want)
			}
			if got := (netflix.Subscription{ID: tt.id}).Number(); got != tt.want {
				t.Errorf("Subscription{ID: %d}.Number() = %q; want %q", tt.id, got, tt.want)
			}
			id, ok := netflix.ParseSubscriptionNumber(tt.want)
			if !ok || id != tt.id {
				t.Errorf("ParseSubscriptionNumber(%q) = %d, %v; want %d, true", tt.want, id, ok, tt.id)
			}
		})
	}
}

func TestSubscriptionNumberRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{1, 2, 9, 10, 93, 3566, 1 << 31, 1<<40 + 7, 1<<63 - 1} {
		s := netflix.SubscriptionNumber(id)
		got, ok := netflix.ParseSubscriptionNumber(s)
		if !ok || got != id {
			t.Errorf("ParseSubscriptionNumber(SubscriptionNumber(%d) = %q) = %d, %v; want %d, true", id, s, got, ok, id)
		}
	}
}

func TestParseSubscriptionNumberRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"93",                    // the document's show example: not this format
		"3566",                  // no prefix
		"X0000000001",           // wrong prefix
		"s0000000001",           // lower-case prefix
		"S",                     // prefix only
		"S000000001",            // nine digits
		"S00000000-1",           // negative
		"S0000000000",           // zero is not an id
		"S00000000 1",           // space
		"S000000000x",           // letter
		" S0000000001",          // leading space
		"S0000000001 ",          // trailing space
		"S99999999999999999999", // overflows int64
	} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if id, ok := netflix.ParseSubscriptionNumber(s); ok {
				t.Errorf("ParseSubscriptionNumber(%q) = %d, true; want false", s, id)
			}
		})
	}
}

// TestParseSubscriptionNumberIsStrictInverse: ParseSubscriptionNumber is
// documented as the inverse of SubscriptionNumber, so it should accept only
// strings SubscriptionNumber can produce.
func TestParseSubscriptionNumberIsStrictInverse(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"S+000000001",  // strconv.ParseInt accepts a sign
		"S00000000001", // eleven digits with a redundant leading zero
	} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if id, ok := netflix.ParseSubscriptionNumber(s); ok {
				t.Errorf("ParseSubscriptionNumber(%q) = %d, true; want false (SubscriptionNumber(%d) = %q)", s, id, id, netflix.SubscriptionNumber(id))
			}
		})
	}
}
