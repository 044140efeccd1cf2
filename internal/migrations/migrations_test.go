package migrations_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"carebridge/internal/migrations"
)

func TestReadDir(t *testing.T) {
	t.Parallel()
	ms, err := migrations.ReadDir(fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
	}, "m", 1)
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[0].SQL != "A" || ms[1].Version != 2 {
		t.Fatalf("ReadDir = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"bad name":  {"m/first.sql": {}},
		"not sql":   {"m/0001_a.txt": {}},
		"zero":      {"m/0000_a.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/001_b.sql": {}},
		"late":      {"m/0002_b.sql": {}},
	} {
		if _, err := migrations.ReadDir(fsys, "m", 1); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: ReadDir = %v, want a refusal", name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	p, err := migrations.Load(fstest.MapFS{
		"m/0100_baseline.sql":        {Data: []byte("ALL")},
		"m/0101_care_plane.sql":      {Data: []byte("CARE")},
		"m/0102_charge_decision.sql": {Data: []byte("DECIDE")},
		"m/0103_api_keys.sql":        {Data: []byte("KEYS")},
		"m/0104_idempotency.sql":     {Data: []byte("IDEM")},
		"m/0105_webhooks.sql":        {Data: []byte("HOOKS")},
		"m/legacy/0001_a.sql":        {Data: []byte("A")},
		"m/legacy/0002_b.sql":        {Data: []byte("B")},
		"m/legacy/README.notes":      {},
	}, "m")
	if err == nil {
		t.Fatalf("Load accepted a stray file: %+v", p)
	}
	p, err = migrations.Load(fstest.MapFS{
		"m/0100_baseline.sql":        {Data: []byte("ALL")},
		"m/0101_care_plane.sql":      {Data: []byte("CARE")},
		"m/0102_charge_decision.sql": {Data: []byte("DECIDE")},
		"m/0103_api_keys.sql":        {Data: []byte("KEYS")},
		"m/0104_idempotency.sql":     {Data: []byte("IDEM")},
		"m/0105_webhooks.sql":        {Data: []byte("HOOKS")},
		"m/legacy/0001_a.sql":        {Data: []byte("A")},
		"m/legacy/0002_b.sql":        {Data: []byte("B")},
	}, "m")
	if err != nil || len(p.Steps) != 6 || p.Steps[0].Version != migrations.Baseline || p.Steps[0].SQL != "ALL" ||
		p.Steps[1].SQL != "CARE" || p.Steps[2].SQL != "DECIDE" || p.Steps[3].SQL != "KEYS" ||
		p.Steps[5].Version != migrations.Latest() || p.Steps[5].SQL != "HOOKS" ||
		len(p.Legacy) != 2 || p.Legacy[1].SQL != "B" {
		t.Fatalf("Load = %+v, %v", p, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no baseline":   {"m/legacy/0001_a.sql": {}},
		"renamed":       {"m/0100_schema.sql": {}, "m/legacy/0001_a.sql": {}},
		"unknown step":  {"m/0100_baseline.sql": {}, "m/0101_more.sql": {}, "m/legacy/0001_a.sql": {}},
		"step missing":  {"m/0100_baseline.sql": {}, "m/legacy/0001_a.sql": {}},
		"legacy gap":    {"m/0100_baseline.sql": {}, "m/legacy/0002_b.sql": {}},
		"below common":  {"m/0099_baseline.sql": {}, "m/legacy/0001_a.sql": {}},
		"legacy absent": {"m/0100_baseline.sql": {}},
	} {
		if _, err := migrations.Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load succeeded, want a refusal", name)
		}
	}
}
