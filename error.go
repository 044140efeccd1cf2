// Package carebridge holds the platform's domain: the error model every face
// maps from, the tenancy types and store interface, and the date format the
// faces share. Plugins keep their own domains in their packages.
package carebridge

import (
	"errors"
	"fmt"
)

// Error codes. They name what went wrong in domain terms; each wire face maps
// them to its own status codes in one table (see internal/crmapi/errors.go).
const (
	EINTERNAL     = "internal"     // a bug or an unavailable dependency; details go to the log only
	EINVALID      = "invalid"      // a parameter has the wrong type, format, value or size
	EMISSING      = "missing"      // a mandatory parameter is absent
	ENOTFOUND     = "not_found"    // the thing does not exist for this caller
	ECONFLICT     = "conflict"     // the current state forbids the action
	EUNAUTHORIZED = "unauthorized" // no valid token, or not allowed to see this
	EFORBIDDEN    = "forbidden"    // known caller, but the action is not permitted
	ECREDENTIALS  = "credentials"  // a login failed
	ETHROTTLED    = "throttled"    // too many attempts; try later
	EUNAVAILABLE  = "unavailable"  // the plugin or partner cannot serve now
	ETOOLARGE     = "too_large"    // the request body is over the limit
)

// Error is an error a caller may see. Message is a sentence written for the
// integration engineer on the other end; it never carries secrets.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("carebridge error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not an
// *Error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err; internal errors get
// a generic sentence so that nothing about the inside leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}
