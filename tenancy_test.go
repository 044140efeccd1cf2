package carebridge

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		value    string
		wantCode string // "" means valid
	}{
		{"simple", "Acme Telecom", ""},
		{"one character", "a", ""},
		{"punctuation and digits", "op-1_(CY).#2", ""},
		{"100 ASCII characters", strings.Repeat("a", 100), ""},
		{"100 multi-byte characters", strings.Repeat("é", 100), ""},
		{"inner spaces", "a  b", ""},
		{"empty", "", EMISSING},
		{"101 ASCII characters", strings.Repeat("a", 101), EINVALID},
		{"101 multi-byte characters", strings.Repeat("é", 101), EINVALID},
		{"leading space", " acme", EINVALID},
		{"trailing space", "acme ", EINVALID},
		{"only a space", " ", EINVALID},
		{"tab", "ac\tme", EINVALID},
		{"newline", "acme\n", EINVALID},
		{"NUL", "ac\x00me", EINVALID},
		{"DEL", "acme\x7f", EINVALID},
		{"escape", "\x1b[31macme", EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName("--name", tt.value)
			if got := ErrorCode(err); got != tt.wantCode {
				t.Fatalf("ValidateName(%q) code = %q (%v); want %q", tt.value, got, err, tt.wantCode)
			}
			if tt.wantCode != "" && !strings.Contains(ErrorMessage(err), "--name") {
				t.Errorf("ValidateName(%q) message = %q; want it to name --name", tt.value, ErrorMessage(err))
			}
		})
	}
}

func TestValidateNameNamesTheField(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"--name", "--alternative-code", "--username"} {
		t.Run(field, func(t *testing.T) {
			t.Parallel()
			if msg := ErrorMessage(ValidateName(field, "")); msg != field+" is mandatory." {
				t.Errorf("message = %q; want %q", msg, field+" is mandatory.")
			}
		})
	}
}

func TestValidateNameRefusesInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"\xff", "acme\xc3", "a\xed\xa0\x80b"} {
		if got := ErrorCode(ValidateName("--name", s)); got != EINVALID {
			t.Errorf("ValidateName(%q) code = %q; want %q", s, got, EINVALID)
		}
	}
}
