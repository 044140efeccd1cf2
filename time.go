package carebridge

import "time"

// TimeLayout is how dates travel on the CRM.COM and partner faces: UTC, to
// the second, without a zone.
const TimeLayout = "2006-01-02T15:04:05"

// ParseTime reads a date written in TimeLayout (taken as UTC) or in RFC
// 3339 (converted to UTC).
func ParseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}
