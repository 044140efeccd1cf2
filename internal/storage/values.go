package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
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

// nullInt scans a nullable integer column where a *int64 would cost an
// allocation per value: it is a database/sql Scanner, handed the driver's
// value as it is, and a pgx Int64Scanner, handed the column decoded.
type nullInt struct {
	n  int64
	ok bool
}

func (v *nullInt) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		*v = nullInt{}
	case int64:
		*v = nullInt{src, true}
	default:
		return fmt.Errorf("storage: cannot scan %T into a nullable integer", src)
	}
	return nil
}

func (v *nullInt) ScanInt64(n pgtype.Int8) error {
	*v = nullInt{n.Int64, n.Valid}
	return nil
}

// time reads NULL as the zero time.
func (v nullInt) time() time.Time {
	if !v.ok {
		return time.Time{}
	}
	return FromUnix(v.n)
}

// nullString is nullInt for a text column (a pgx TextScanner).
type nullString struct {
	s  string
	ok bool
}

func (v *nullString) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		*v = nullString{}
	case string:
		*v = nullString{src, true}
	case []byte:
		*v = nullString{string(src), true}
	default:
		return fmt.Errorf("storage: cannot scan %T into nullable text", src)
	}
	return nil
}

func (v *nullString) ScanText(t pgtype.Text) error {
	*v = nullString{t.String, t.Valid}
	return nil
}
