package migrations_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"carebridge/internal/migrations"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	ms, err := migrations.Load(fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
	}, "m")
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[0].SQL != "A" || ms[1].Version != 2 {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"bad name":  {"m/first.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/001_b.sql": {}},
	} {
		if _, err := migrations.Load(fsys, "m"); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: Load = %v, want a refusal", name, err)
		}
	}
}
