package signature_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"carebridge/internal/signature"
)

// The worked example of README.md ("How a partner signs a charge report"):
// if this changes, the README is wrong.
func TestSignReadmeExample(t *testing.T) {
	t.Parallel()
	secret := "5f0c6d1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
	body := `{"charges":[{"partner_charge_id":"nf-2017-0001","billing_system_customer_identifier":"pci150","amount":5.99,"currency":"USD","paid_through_date":"2017-03-04T02:00:00","received_on":"2017-02-21T09:07:23"}]}`
	got := signature.Sign(secret, time.Unix(1487668043, 0), []byte(body))
	want := "t=1487668043,v1=6d2f3ae1fdc8713b07b0a14a956e2179f4c3bfc971be3cf6e3e6405162af52a3"
	if got != want {
		t.Fatalf("Sign = %s\nwant  %s", got, want)
	}
	if d := signature.Digest(secret, time.Unix(1487668043, 0), []byte(body)); "v1="+d != strings.Split(want, ",")[1] {
		t.Errorf("Digest = %s", d)
	}
}

var (
	t0     = time.Unix(1700000000, 0)
	body   = []byte(`{"type":"charge.settled"}`)
	secret = "whsec_0123"
	window = 5 * time.Minute
)

func TestVerify(t *testing.T) {
	t.Parallel()
	sig := signature.Sign(secret, t0, body)
	ts, v1, _ := strings.Cut(sig, ",")
	hexOf := strings.TrimPrefix(v1, "v1=")
	other := signature.Sign("another secret", t0, body)
	_, otherV1, _ := strings.Cut(other, ",")
	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"good", secret, sig, body, t0, nil},
		{"good, window's far edge", secret, sig, body, t0.Add(window), nil},
		{"good, window's near edge", secret, sig, body, t0.Add(-window), nil},
		{"upper-case hex", secret, ts + ",v1=" + strings.ToUpper(hexOf), body, t0, nil},
		{"parts reordered, spaced", secret, v1 + " , " + ts, body, t0, nil},
		{"old and new secret", secret, ts + "," + otherV1 + "," + v1, body, t0, nil},
		{"new and old secret", secret, ts + "," + v1 + "," + otherV1, body, t0, nil},
		{"another scheme skipped", secret, ts + ",v0=abc," + v1, body, t0, nil},

		{"wrong secret", "another secret!", sig, body, t0, signature.ErrMismatch},
		{"empty secret", "", signature.Sign("", t0, body), body, t0, signature.ErrMismatch},
		{"tampered body", secret, sig, []byte(`{"type":"charge.created"}`), t0, signature.ErrMismatch},
		{"timestamp altered", secret, "t=1700000001," + v1, body, t0, signature.ErrMismatch},
		{"stale", secret, sig, body, t0.Add(window + time.Second), signature.ErrStale},
		{"future", secret, sig, body, t0.Add(-window - time.Second), signature.ErrStale},

		{"empty", secret, "", body, t0, signature.ErrMalformed},
		{"t missing", secret, v1, body, t0, signature.ErrMalformed},
		{"v1 missing", secret, ts, body, t0, signature.ErrMalformed},
		{"v1 empty", secret, ts + ",v1=", body, t0, signature.ErrMalformed},
		{"v1 not hex", secret, ts + ",v1=" + strings.Repeat("zz", 32), body, t0, signature.ErrMalformed},
		{"v1 short", secret, ts + ",v1=" + hexOf[:62], body, t0, signature.ErrMalformed},
		{"a bad v1 beside a good one", secret, sig + ",v1=00", body, t0, signature.ErrMalformed},
		{"t not a number", secret, "t=now," + v1, body, t0, signature.ErrMalformed},
		{"t twice", secret, ts + "," + ts + "," + v1, body, t0, signature.ErrMalformed},
		{"t signed", secret, "t=+1700000000," + v1, body, t0, signature.ErrMalformed},
		{"t negative", secret, "t=-1," + v1, body, t0, signature.ErrMalformed},
		{"t leading zero", secret, "t=01700000000," + v1, body, t0, signature.ErrMalformed},
		{"t overflows", secret, "t=99999999999999999999," + v1, body, t0, signature.ErrMalformed},
		{"empty part", secret, ts + ",," + v1, body, t0, signature.ErrMalformed},
		{"part without =", secret, ts + ",v1," + v1, body, t0, signature.ErrMalformed},
		{"semicolons", secret, ts + ";" + v1, body, t0, signature.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := signature.Verify(c.secret, c.header, c.body, c.now, window); !errors.Is(err, c.want) {
				t.Errorf("Verify(%q) = %v, want %v", c.header, err, c.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	h, err := signature.Parse(signature.Sign(secret, t0, body))
	if err != nil {
		t.Fatal(err)
	}
	if !h.T.Equal(t0) || len(h.V1) != 1 || len(h.V1[0]) != 32 {
		t.Errorf("Parse = %+v", h)
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	h := signature.Header{T: t0}
	for d, want := range map[time.Duration]bool{0: true, window: true, -window: true, window + time.Second: false, -window - time.Second: false} {
		if got := h.Within(t0.Add(d), window); got != want {
			t.Errorf("Within(t0%+v) = %v, want %v", d, got, want)
		}
	}
}
