package postgres

import (
	"context"
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
}

// NewBus returns the bus of db's schema.
func NewBus(ctx context.Context, db *DB, log *slog.Logger) (*Bus, error) {
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, err
	}
	return &Bus{db: db, channel: "carebridge_" + schema, log: log}, nil
}

var _ events.Bus = (*Bus)(nil)

// Publish notifies every listening replica (NOTIFY payloads are at most
// 8000 bytes; plugin events are far smaller).
func (b *Bus) Publish(ctx context.Context, m events.Message) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
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
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return ctx.Err()
}

func (b *Bus) listen(ctx context.Context, listening func(), deliver func(events.Message)) error {
	conn, err := b.db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `UNLISTEN *`)
	listening()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
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
