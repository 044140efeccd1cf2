package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"carebridge/internal/events"
)

// Bus is events.Bus on LISTEN/NOTIFY. The channel is named after the
// schema, so that databases sharing a server (tests) do not hear each
// other.
type Bus struct {
	db      *DB
	channel string
	log     *slog.Logger

	// Observer, when set before Listen, hears the listening connection
	// come (true) and go before a retry (false).
	Observer interface{ Listening(on bool) }
}

// NewBus returns the bus of db's schema.
func NewBus(ctx context.Context, db *DB, log *slog.Logger) (*Bus, error) {
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, err
	}
	channel := "carebridge_" + schema
	if len(channel) > 63 { // PostgreSQL truncates longer identifiers
		sum := sha256.Sum256([]byte(schema))
		channel = "carebridge_" + hex.EncodeToString(sum[:12])
	}
	return &Bus{db: db, channel: channel, log: log}, nil
}

// maxPayload is below PostgreSQL's 8000-byte NOTIFY limit.
const maxPayload = 7900

// heartbeat is how often an idle listener checks its connection, so that a
// silently dead one is replaced within a minute, not at TCP's pace.
const heartbeat = 30 * time.Second

var _ events.Bus = (*Bus)(nil)

// Publish notifies every listening replica (NOTIFY payloads are at most
// 8000 bytes; plugin events are far smaller).
func (b *Bus) Publish(ctx context.Context, m events.Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("postgres: event %s.%s is %d bytes; NOTIFY carries at most %d", m.Callsign, m.Event, len(payload), maxPayload)
	}
	_, err = b.db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, b.channel, string(payload))
	return err
}

// Listen holds one connection in LISTEN and delivers each notification,
// reconnecting after a failure until ctx ends.
func (b *Bus) Listen(ctx context.Context, listening func(), deliver func(events.Message)) error {
	for ctx.Err() == nil {
		err := b.listen(ctx, listening, deliver)
		if ctx.Err() != nil {
			break
		}
		b.log.Warn("event bus: listening stopped; reconnecting", "err", err)
		if b.Observer != nil {
			b.Observer.Listening(false)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return ctx.Err()
}

// listen holds its own connection, outside the pool: LISTEN would
// otherwise take a pool connection for good, and listening() queries the
// pool.
func (b *Bus) listen(ctx context.Context, listening func(), deliver func(events.Message)) error {
	conn, err := pgx.ConnectConfig(ctx, b.db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	if b.Observer != nil {
		b.Observer.Listening(true)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, heartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && wctx.Err() != nil {
			// Idle: make sure the connection still answers.
			if _, err := conn.Exec(ctx, `SELECT 1`); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		var m events.Message
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			b.log.Warn("event bus: unreadable message", "err", err)
			continue
		}
		deliver(m)
	}
}

// String names the bus in logs.
func (b *Bus) String() string { return fmt.Sprintf("postgres LISTEN %s", b.channel) }
