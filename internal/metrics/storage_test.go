package metrics

import (
	"strings"
	"testing"
	"time"
)

// An engine's series appear only once the server says it runs that
// engine, and saying it twice (two servers on one registry in tests)
// registers them once.
func TestStorageSeriesAppearOnUse(t *testing.T) {
	m := New()
	body := scrapeText(t, m)
	for _, name := range []string{"carebridge_sqlite_group_commit_writes", "carebridge_bus_listening", "carebridge_db_pool_connections"} {
		if strings.Contains(body, name) {
			t.Errorf("%s in the scrape of a registry no engine uses", name)
		}
	}
	m.GroupCommits()(3, 2*time.Millisecond)
	m.GroupCommits()(1, time.Millisecond)
	m.Bus().Listening(true)
	m.Bus().Listening(false)
	m.WatchPools(func() []PoolStats { return []PoolStats{{Name: "old"}} })
	m.WatchPools(func() []PoolStats {
		return []PoolStats{{Name: "sqlite_reader", Max: 4, InUse: 1, Idle: 2, Waits: 5, WaitTime: 1500 * time.Millisecond}}
	})
	body = scrapeText(t, m)
	for _, want := range []string{
		"carebridge_sqlite_group_commit_writes_sum 4",
		"carebridge_sqlite_group_commit_writes_count 2",
		"carebridge_sqlite_group_commit_duration_seconds_count 2",
		"carebridge_bus_listening 0",
		"carebridge_bus_reconnects_total 1",
		`carebridge_db_pool_connections{pool="sqlite_reader",state="in_use"} 1`,
		`carebridge_db_pool_connections{pool="sqlite_reader",state="idle"} 2`,
		`carebridge_db_pool_max_connections{pool="sqlite_reader"} 4`,
		`carebridge_db_pool_waits_total{pool="sqlite_reader"} 5`,
		`carebridge_db_pool_wait_seconds_total{pool="sqlite_reader"} 1.5`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, `pool="old"`) {
		t.Error("the replaced pool source is still read")
	}
}
