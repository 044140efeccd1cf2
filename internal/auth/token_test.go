package auth

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
)

func TestNewTokenFormat(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9A-F]{32}$`)
	for range 100 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(tok) {
			t.Fatalf("NewToken() = %q; want match for %s", tok, re)
		}
		if !LooksLikeToken(tok) {
			t.Fatalf("LooksLikeToken(%q) = false for a fresh token", tok)
		}
	}
}

func TestNewTokenUnique(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool, 1000)
	for range 1000 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] {
			t.Fatalf("NewToken returned %q twice", tok)
		}
		seen[tok] = true
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[0-9a-f]+$`)
	for _, n := range []int{1, 16, 32, 64} {
		a, err := NewSecret(n)
		if err != nil {
			t.Fatalf("NewSecret(%d): %v", n, err)
		}
		if len(a) != 2*n || !re.MatchString(a) {
			t.Errorf("NewSecret(%d) = %q; want %d lower-case hex characters", n, a, 2*n)
		}
		if n >= 16 {
			b, err := NewSecret(n)
			if err != nil {
				t.Fatal(err)
			}
			if a == b {
				t.Errorf("NewSecret(%d) returned %q twice", n, a)
			}
		}
	}
	for _, n := range []int{0, -1} {
		if s, err := NewSecret(n); err == nil {
			t.Errorf("NewSecret(%d) = %q, nil; want an error", n, s)
		}
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	const upper = "33586DF3842E4AE5BABF43C43269E8F8"
	want := sha256.Sum256([]byte(upper))
	tests := []string{
		upper,
		strings.ToLower(upper),
		"33586df3842E4AE5babf43C43269e8F8",
	}
	for _, tok := range tests {
		got := HashToken(tok)
		if len(got) != 32 {
			t.Errorf("len(HashToken(%q)) = %d; want 32", tok, len(got))
		}
		if !bytes.Equal(got, want[:]) {
			t.Errorf("HashToken(%q) = %x; want SHA-256 of the upper-cased token %x", tok, got, want)
		}
	}
	if bytes.Equal(HashToken(upper), HashToken("33586DF3842E4AE5BABF43C43269E8F9")) {
		t.Error("different tokens hash the same")
	}
	// Only ASCII letters are folded; other bytes pass through unchanged.
	if bytes.Equal(HashToken("é"), HashToken("É")) {
		t.Error("HashToken folds non-ASCII letters")
	}
}

func TestLooksLikeToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want bool
	}{
		{"33586DF3842E4AE5BABF43C43269E8F8", true},
		{"33586df3842e4ae5babf43c43269e8f8", true},
		{"33586dF3842e4AE5BABF43c43269E8f8", true},
		{"00000000000000000000000000000000", true},
		{"", false},
		{"33586DF3842E4AE5BABF43C43269E8F", false},   // 31
		{"33586DF3842E4AE5BABF43C43269E8F80", false}, // 33
		{"33586DF3842E4AE5BABF43C43269E8FG", false},  // G
		{"33586DF3-842E-4AE5-BABF-43C43269", false},  // dashes
		{"33586DF3842E4AE5BABF43C43269E8F ", false},  // space
		{"33586DF3842E4AE5BABF43C43269E8Fé", false},  // 32 bytes, not hex
	}
	for _, tt := range tests {
		if got := LooksLikeToken(tt.s); got != tt.want {
			t.Errorf("LooksLikeToken(%q) = %v; want %v", tt.s, got, tt.want)
		}
	}
}
