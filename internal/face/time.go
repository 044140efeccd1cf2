package face

import (
	"fmt"
	"time"
)

// TimeLayout is how dates travel on the CRM.COM and partner faces: UTC, to
// the second, without a zone.
const TimeLayout = "2006-01-02T15:04:05"

// ParseTime reads a date written in TimeLayout (taken as UTC) or in RFC
// 3339 (converted to UTC). Its error completes a sentence that starts with
// the parameter's name.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("must be a date written %s (UTC) or in RFC 3339; got %q", TimeLayout, s)
}
