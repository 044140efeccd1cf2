package storage

import (
	"encoding/json"
	"time"
)

// Times are stored as Unix seconds in UTC by both engines: the wire
// formats carry seconds, integers compare and index cheaply, and the two
// engines then store the same values.
func Unix(t time.Time) int64 { return t.Unix() }

// FromUnix is the UTC time of a stored Unix second.
func FromUnix(n int64) time.Time { return time.Unix(n, 0).UTC() }

// NullUnix stores the zero time as NULL.
func NullUnix(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.Unix()
	return &n
}

// FromNullUnix reads NULL as the zero time.
func FromNullUnix(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return FromUnix(*n)
}

// NullString stores "" as NULL.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Deref reads NULL as "".
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// NullID stores the id 0 (none) as NULL.
func NullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// NullJSON encodes an optional object as JSON text; nil is stored as NULL.
func NullJSON[T any](v *T) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}
