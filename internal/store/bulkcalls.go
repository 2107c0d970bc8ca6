package store

import (
	"context"
	"fmt"
	"strings"
)

// bulkCallCols are the columns BulkInsertCalls writes; the rest keep their
// defaults.
const bulkCallCols = `id, tenant_id, state, direction, started_at, ended_at, duration_ms, size_bytes, blob_key, recorded,
	confidential, expires_at, recorded_user_id, caller, callee, created_at, updated_at`

// BulkInsertCalls stores many calls (without participants) in one
// statement: the recordings benchmark seeds a million rows with it.
func (q Q) BulkInsertCalls(ctx context.Context, calls []Call) error {
	if len(calls) == 0 {
		return nil
	}
	const n = 17
	row := "(?" + strings.Repeat(", ?", n-1) + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO calls (" + bulkCallCols + ") VALUES ")
	args := make([]any, 0, len(calls)*n)
	for i, c := range calls {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = append(args, c.ID, c.TenantID, c.State, c.Direction, c.StartedAt, nullTime(c.EndedAt), c.DurationMS, c.SizeBytes,
			c.BlobKey, c.Recorded, c.Confidential, nullTime(c.ExpiresAt), c.RecordedUserID, c.Caller, c.Callee, c.CreatedAt, c.UpdatedAt)
	}
	if _, err := q.exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("store: bulk insert calls: %w", err)
	}
	return nil
}

// Analyze refreshes the query planner's statistics after a bulk load as
// the running service would: on SQLite by Optimize; on PostgreSQL by
// VACUUM ANALYZE, which autovacuum runs soon after such a load, so that the
// first reads do not each set hint bits and dirty the pages they read.
func (db *DB) Analyze(ctx context.Context) error {
	if db.dialect != Postgres {
		return db.Optimize(ctx)
	}
	if _, err := db.sql.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	return nil
}

// Optimize keeps SQLite's planner statistics current: it analyzes tables
// never analyzed or whose size changed much since, with a bounded sample
// (seconds at 1,000,000 calls, nothing when nothing changed). Without
// statistics SQLite may walk the whole date index for a search that a few
// id lookups answer. The worker runs it at start and daily. PostgreSQL's
// autovacuum does this itself.
func (db *DB) Optimize(ctx context.Context) error {
	if db.dialect == Postgres {
		return nil
	}
	if _, err := db.sql.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	return nil
}

// BulkInsertTranscripts stores many calls' transcript headers (no lines)
// in one statement, for the recordings benchmark; the search triggers put
// each into its call's search document.
func (q Q) BulkInsertTranscripts(ctx context.Context, ts []Transcript) error {
	if len(ts) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO transcripts (call_id, tenant_id, engine, license_type, body, keywords, created_at) VALUES ")
	args := make([]any, 0, len(ts)*7)
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, t.CallID, t.TenantID, t.Engine, t.LicenseType, t.Body, t.Keywords, t.CreatedAt)
	}
	if _, err := q.exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("store: bulk insert transcripts: %w", err)
	}
	return nil
}
