package netflix_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"carebridge"
	"carebridge/internal/netflix"
)

func TestValidESN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		esn  string
		want bool
	}{
		{"one character", "A", true},
		{"128 characters", strings.Repeat("x", 128), true},
		{"typical", "NFANDROID1-PRV-P-SAMSUSM-G950F-1234", true},
		{"punctuation", "ABC-123_x.y:z", true},
		{"every printable non-space", printableASCII(), true},
		{"tilde, the last printable", "~", true},
		{"bang, the first printable", "!", true},
		{"empty", "", false},
		{"129 characters", strings.Repeat("x", 129), false},
		{"inner space", "ABC 123", false},
		{"leading space", " ABC", false},
		{"trailing space", "ABC ", false},
		{"only a space", " ", false},
		{"tab", "ABC\t123", false},
		{"newline", "ABC\n", false},
		{"carriage return", "\rABC", false},
		{"NUL", "AB\x00C", false},
		{"unit separator 0x1f", "AB\x1fC", false},
		{"DEL 0x7f", "AB\x7fC", false},
		{"non-ASCII é", "caf\u00e9", false},
		{"non-ASCII, 128 bytes", strings.Repeat("x", 126) + "\u00e9", false},
		{"no-break space", "AB\u00a0C", false},
		{"byte 0x80", "AB\x80C", false},
		{"byte 0xff", "\xff", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := netflix.ValidESN(tc.esn); got != tc.want {
				t.Fatalf("ValidESN(%q) = %v, want %v", tc.esn, got, tc.want)
			}
		})
	}
}

// printableASCII is every character from '!' to '~'.
func printableASCII() string {
	var b strings.Builder
	for c := byte('!'); c <= '~'; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

// TestValidESNEveryByte checks each single byte against the rule: valid
// exactly when it is printable ASCII other than the space.
func TestValidESNEveryByte(t *testing.T) {
	t.Parallel()
	for c := 0; c < 256; c++ {
		want := c > ' ' && c < 0x7f
		if got := netflix.ValidESN("A" + string([]byte{byte(c)}) + "Z"); got != want {
			t.Errorf("ValidESN with byte %#02x = %v, want %v", c, got, want)
		}
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

func TestSplitESNsRefusesTheSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		esns  []string
		code  string
		words []string
	}{
		{"nil", nil, carebridge.EMISSING, []string{"devices"}},
		{"empty", []string{}, carebridge.EMISSING, []string{"devices"}},
		{"1001", numbered("E", 1001), carebridge.EINVALID, []string{"devices", "1001", "1000"}},
		{"1001 all invalid", make([]string, 1001), carebridge.EINVALID, []string{"1000"}},
		{"5000", numbered("E", 5000), carebridge.EINVALID, []string{"1000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			apply, failed, err := netflix.SplitESNs(tc.esns)
			if got := carebridge.ErrorCode(err); got != tc.code {
				t.Fatalf("error code = %q (%v), want %q", got, err, tc.code)
			}
			if apply != nil || failed != nil {
				t.Fatalf("refused set still split: apply %d, failed %d", len(apply), len(failed))
			}
			for _, w := range tc.words {
				if !strings.Contains(carebridge.ErrorMessage(err), w) {
					t.Fatalf("message %q does not mention %q", carebridge.ErrorMessage(err), w)
				}
			}
		})
	}
}

func TestSplitESNs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("L", 129)
	tests := []struct {
		name          string
		esns          []string
		apply, failed []string
	}{
		{"one", []string{"A"}, []string{"A"}, nil},
		{"order kept", []string{"C", "A", "B"}, []string{"C", "A", "B"}, nil},
		{"duplicate pair: neither applied", []string{"A", "B", "A"}, []string{"B"}, []string{"A"}},
		{"triplicate reported once", []string{"A", "A", "B", "A"}, []string{"B"}, []string{"A"}},
		{"only duplicates", []string{"A", "A"}, nil, []string{"A"}},
		{"two duplicates, order of first occurrence", []string{"X", "B", "A", "B", "C", "A", "X"}, []string{"C"}, []string{"X", "B", "A"}},
		{"invalid reported", []string{"ok1", "has space", "ok2", ""}, []string{"ok1", "ok2"}, []string{"has space", ""}},
		{"too long reported", []string{long, "ok"}, []string{"ok"}, []string{long}},
		{"invalid duplicate reported once", []string{"a b", "ok", "a b"}, []string{"ok"}, []string{"a b"}},
		{"empty twice reported once", []string{"", "ok", ""}, []string{"ok"}, []string{""}},
		{"mixed order kept", []string{"z", "bad\t", "y", "d", "x", "d", "caf\u00e9", "w"},
			[]string{"z", "y", "x", "w"}, []string{"bad\t", "d", "caf\u00e9"}},
		{"case distinguishes", []string{"abc", "ABC"}, []string{"abc", "ABC"}, nil},
		{"all invalid", []string{" ", "\x7f"}, nil, []string{" ", "\x7f"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tc.esns)
			apply, failed, err := netflix.SplitESNs(in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(apply, tc.apply) {
				t.Fatalf("apply = %q, want %q", apply, tc.apply)
			}
			if !slices.Equal(failed, tc.failed) {
				t.Fatalf("failed = %q, want %q", failed, tc.failed)
			}
			if !slices.Equal(in, tc.esns) {
				t.Fatalf("input changed to %q", in)
			}
		})
	}
}

func TestSplitESNsThousand(t *testing.T) {
	t.Parallel()
	list := numbered("E", 1000)
	apply, failed, err := netflix.SplitESNs(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 0 || !slices.Equal(apply, list) {
		t.Fatalf("1000 distinct valid ESNs: apply %d, failed %q", len(apply), failed)
	}
	if netflix.MaxDevicesPerCall != 1000 {
		t.Fatalf("MaxDevicesPerCall = %d, want 1000 (CRM.COM: at most 1000 devices per call)", netflix.MaxDevicesPerCall)
	}

	// 1000 where the last duplicates the first: both occurrences fail.
	list[999] = list[0]
	apply, failed, err = netflix.SplitESNs(list)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(failed, []string{"E0000"}) || len(apply) != 998 || apply[0] != "E0001" || apply[997] != "E0998" {
		t.Fatalf("apply %d (first %q), failed %q; want 998 from E0001 and E0000 failed", len(apply), apply[:1], failed)
	}
}
