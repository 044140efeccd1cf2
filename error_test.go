package carebridge

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	t.Parallel()
	err := Errorf(EINVALID, "channel must be one of %s; got %q.", "WEB, STORE", "web")
	if err.Code != EINVALID {
		t.Errorf("Code = %q; want %q", err.Code, EINVALID)
	}
	if want := `channel must be one of WEB, STORE; got "web".`; err.Message != want {
		t.Errorf("Message = %q; want %q", err.Message, want)
	}
	if want := `carebridge error: code=invalid message=channel must be one of WEB, STORE; got "web".`; err.Error() != want {
		t.Errorf("Error() = %q; want %q", err.Error(), want)
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	domain := Errorf(ENOTFOUND, "No subscription for customer %s.", "pci123")
	plain := errors.New("sqlite: database is locked at /var/lib/carebridge/secret.db")
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
	}{
		{"nil", nil, "", ""},
		{"domain error", domain, ENOTFOUND, "No subscription for customer pci123."},
		{"wrapped once with %w", fmt.Errorf("show: %w", domain), ENOTFOUND, "No subscription for customer pci123."},
		{"wrapped twice with %w", fmt.Errorf("face: %w", fmt.Errorf("store: %w", domain)), ENOTFOUND, "No subscription for customer pci123."},
		{"joined with a plain error", errors.Join(plain, domain), ENOTFOUND, "No subscription for customer pci123."},
		{"formatted with %v loses the code", fmt.Errorf("show: %v", domain), EINTERNAL, "An internal error occurred."},
		{"plain error", plain, EINTERNAL, "An internal error occurred."},
		{"plain error wrapped", fmt.Errorf("query: %w", plain), EINTERNAL, "An internal error occurred."},
		{"every code survives wrapping", fmt.Errorf("x: %w", Errorf(ETHROTTLED, "Try later.")), ETHROTTLED, "Try later."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode() = %q; want %q", got, tt.wantCode)
			}
			got := ErrorMessage(tt.err)
			if got != tt.wantMessage {
				t.Errorf("ErrorMessage() = %q; want %q", got, tt.wantMessage)
			}
			if strings.Contains(got, "secret.db") || strings.Contains(got, "sqlite") {
				t.Errorf("ErrorMessage() = %q leaks an internal detail", got)
			}
		})
	}
}
