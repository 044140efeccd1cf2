package server

import (
	"database/sql"

	"carebridge/internal/metrics"
	"carebridge/internal/postgres"
	"carebridge/internal/readcache"
	"carebridge/internal/sqlite"
)

// instrumentSQLite reports the group commit, both connection pools and
// the read caches of a SQLite database.
func instrumentSQLite(db *sqlite.DB, m *metrics.Metrics) {
	db.ObserveCommits(m.GroupCommits())
	db.ObserveReadCaches(func(name string) readcache.Observer { return m.ReadCache(name) })
	m.WatchPools(func() []metrics.PoolStats {
		reader, writer := db.PoolStats()
		return []metrics.PoolStats{sqlPool("sqlite_reader", reader), sqlPool("sqlite_writer", writer)}
	})
}

func sqlPool(name string, s sql.DBStats) metrics.PoolStats {
	return metrics.PoolStats{
		Name: name, Max: s.MaxOpenConnections, InUse: s.InUse, Idle: s.Idle,
		Waits: s.WaitCount, WaitTime: s.WaitDuration,
	}
}

// instrumentPostgres reports the pgx pool and the event bus's listening
// connection.
func instrumentPostgres(db *postgres.DB, bus *postgres.Bus, m *metrics.Metrics) {
	bus.Observer = m.Bus()
	m.WatchPools(func() []metrics.PoolStats {
		s := db.Pool().Stat()
		return []metrics.PoolStats{{
			Name: "postgres", Max: int(s.MaxConns()), InUse: int(s.AcquiredConns()), Idle: int(s.IdleConns()),
			Waits: s.EmptyAcquireCount(), WaitTime: s.EmptyAcquireWaitTime(),
		}}
	})
}
