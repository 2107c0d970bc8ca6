package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"callrec/internal/events"
)

// EventChannel is the PostgreSQL notification channel of the event log.
const EventChannel = "callrec_events"

// LoggedEvent is one row of the event log.
type LoggedEvent struct {
	ID       int64
	TenantID string
	Kind     string
	Data     []byte
	At       time.Time
}

// ErrNoEventLog: the event log needs PostgreSQL; SQLite installs run in one
// process and keep events in it.
var ErrNoEventLog = errors.New("store: the event log needs PostgreSQL")

// AppendEvent writes an event and notifies the listeners of its id, in one
// statement.
func (db *DB) AppendEvent(ctx context.Context, e LoggedEvent) error {
	if db.dialect != Postgres {
		return ErrNoEventLog
	}
	_, err := db.sql.ExecContext(ctx, `WITH e AS (INSERT INTO event_log (tenant_id, kind, data, at) VALUES ($1, $2, $3, $4) RETURNING id)
		SELECT pg_notify('`+EventChannel+`', (SELECT id::text FROM e))`, e.TenantID, e.Kind, string(e.Data), e.At.UTC())
	if err != nil {
		return fmt.Errorf("store: append event: %w", err)
	}
	return nil
}

// EventsSince returns up to limit events with an id above after, oldest first.
func (db *DB) EventsSince(ctx context.Context, after int64, limit int) ([]LoggedEvent, error) {
	if db.dialect != Postgres {
		return nil, ErrNoEventLog
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, tenant_id, kind, data, at FROM event_log WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events since: %w", err)
	}
	defer rows.Close()
	var out []LoggedEvent
	for rows.Next() {
		var e LoggedEvent
		var data string
		if err := rows.Scan(&e.ID, &e.TenantID, &e.Kind, &data, &e.At); err != nil {
			return nil, fmt.Errorf("store: events since: %w", err)
		}
		e.Data, e.At = []byte(data), e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventID is the newest event's id, 0 for an empty log.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	if db.dialect != Postgres {
		return 0, ErrNoEventLog
	}
	var id sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT max(id) FROM event_log`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return id.Int64, nil
}

// PruneEvents deletes events older than before.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) error {
	if db.dialect != Postgres {
		return ErrNoEventLog
	}
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM event_log WHERE at < $1`, before.UTC()); err != nil {
		return fmt.Errorf("store: prune events: %w", err)
	}
	return nil
}

// ListenEvents holds a connection that LISTENs on EventChannel and calls
// notified with each event id announced, until ctx ends or the connection
// fails (the error says which); ready is called once it listens.
func (db *DB) ListenEvents(ctx context.Context, ready func(), notified func(id int64)) error {
	if db.dialect != Postgres {
		return ErrNoEventLog
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	defer func() {
		// A connection that listened must not go back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+EventChannel); err != nil {
			return fmt.Errorf("store: listen: %w", err)
		}
		ready()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return fmt.Errorf("store: listen: %w", err)
			}
			id, _ := strconv.ParseInt(n.Payload, 10, 64)
			notified(id)
		}
	})
}

// SharedEvents is the event log as an events.Log, for events.NewShared.
func (db *DB) SharedEvents() events.Log { return eventLog{db} }

type eventLog struct{ db *DB }

func (l eventLog) Append(ctx context.Context, e events.Event) error {
	return l.db.AppendEvent(ctx, LoggedEvent{TenantID: e.TenantID, Kind: e.Kind, Data: e.Data, At: e.At})
}

func (l eventLog) Since(ctx context.Context, after int64, limit int) ([]events.Logged, error) {
	rows, err := l.db.EventsSince(ctx, after, limit)
	out := make([]events.Logged, len(rows))
	for i, r := range rows {
		out[i] = events.Logged{ID: r.ID, Event: events.Event{TenantID: r.TenantID, Kind: r.Kind, Data: r.Data, At: r.At}}
	}
	return out, err
}

func (l eventLog) Last(ctx context.Context) (int64, error) { return l.db.LastEventID(ctx) }

func (l eventLog) Prune(ctx context.Context, before time.Time) error {
	return l.db.PruneEvents(ctx, before)
}

func (l eventLog) Listen(ctx context.Context, ready func(), notified func(int64)) error {
	return l.db.ListenEvents(ctx, ready, notified)
}
