package face_test

import (
	"testing"
	"time"

	"carebridge/internal/face"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC)
	for _, s := range []string{"2024-03-01T10:30:00", "2024-03-01T10:30:00Z", "2024-03-01T12:30:00+02:00"} {
		got, err := face.ParseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%q: %v, %v; want %v in UTC", s, got, err, want)
		}
	}
	for _, s := range []string{"2024-03-01", "2024-03-01 10:30:00", "01/03/2024", "2024-03-01T10:30:00+0200"} {
		_, err := face.ParseTime(s)
		if err == nil {
			t.Errorf("%q was read as a date", s)
			continue
		}
		if msg := `must be a date written 2006-01-02T15:04:05 (UTC) or in RFC 3339; got "` + s + `"`; err.Error() != msg {
			t.Errorf("%q: %q, want %q", s, err, msg)
		}
	}
	if s := time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC).Format(face.TimeLayout); s != "2024-03-01T10:30:00" {
		t.Errorf("TimeLayout writes %q", s)
	}
}
