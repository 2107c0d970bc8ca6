package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CallNote is a note pinned to a moment of a call.
type CallNote struct {
	ID         string    `json:"id"`
	CallID     string    `json:"call_id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	OffsetMS   int64     `json:"offset_ms"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// InsertCallNote adds a note to a call of the tenant.
func (q Q) InsertCallNote(ctx context.Context, tenantID string, n CallNote) error {
	_, err := q.exec(ctx, `INSERT INTO call_notes (id, tenant_id, call_id, author_id, author_name, offset_ms, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, tenantID, n.CallID, n.AuthorID, n.AuthorName, n.OffsetMS, n.Body, n.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert note: %w", err)
	}
	return nil
}

// CallNotes lists a call's notes in the order of the moments they mark.
func (q Q) CallNotes(ctx context.Context, tenantID, callID string) ([]CallNote, error) {
	rows, err := q.query(ctx, `SELECT id, call_id, author_id, author_name, offset_ms, body, created_at FROM call_notes
		WHERE tenant_id = ? AND call_id = ? ORDER BY offset_ms, created_at`, tenantID, callID)
	if err != nil {
		return nil, fmt.Errorf("store: notes: %w", err)
	}
	defer rows.Close()
	out := []CallNote{}
	for rows.Next() {
		var n CallNote
		if err := rows.Scan(&n.ID, &n.CallID, &n.AuthorID, &n.AuthorName, &n.OffsetMS, &n.Body, &n.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: notes: %w", mapErr(err))
		}
		n.CreatedAt = n.CreatedAt.UTC()
		out = append(out, n)
	}
	return out, rows.Err()
}

// DeleteCallNote removes a note of a call of the tenant.
func (q Q) DeleteCallNote(ctx context.Context, tenantID, callID, id string) error {
	err := affectedOne(q.exec(ctx, `DELETE FROM call_notes WHERE tenant_id = ? AND call_id = ? AND id = ?`, tenantID, callID, id))
	if err != nil {
		return fmt.Errorf("store: delete note: %w", err)
	}
	return nil
}

// CallPause is a span of a call during which recording was paused; EndMS
// is nil while the pause lasts. Offsets are from the call's start.
type CallPause struct {
	ID        string `json:"id"`
	StartMS   int64  `json:"start_ms"`
	EndMS     *int64 `json:"end_ms"`
	PausedBy  string `json:"paused_by"`
	ResumedBy string `json:"resumed_by"`
}

// InsertCallPause opens a pause on a call of the tenant.
func (q Q) InsertCallPause(ctx context.Context, tenantID, callID string, p CallPause) error {
	_, err := q.exec(ctx, `INSERT INTO call_pauses (id, tenant_id, call_id, start_ms, paused_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		p.ID, tenantID, callID, p.StartMS, p.PausedBy, q.Now())
	if err != nil {
		return fmt.Errorf("store: insert pause: %w", err)
	}
	return nil
}

// EndCallPause closes the open pause of a call; ErrNotFound if none is open.
func (q Q) EndCallPause(ctx context.Context, tenantID, callID string, endMS int64, by string) error {
	err := affectedOne(q.exec(ctx, `UPDATE call_pauses SET end_ms = ?, resumed_by = ? WHERE tenant_id = ? AND call_id = ? AND end_ms IS NULL`,
		endMS, by, tenantID, callID))
	if err != nil {
		return fmt.Errorf("store: end pause: %w", err)
	}
	return nil
}

// CallPauses lists a call's paused spans in order.
func (q Q) CallPauses(ctx context.Context, tenantID, callID string) ([]CallPause, error) {
	rows, err := q.query(ctx, `SELECT id, start_ms, end_ms, paused_by, resumed_by FROM call_pauses
		WHERE tenant_id = ? AND call_id = ? ORDER BY start_ms`, tenantID, callID)
	if err != nil {
		return nil, fmt.Errorf("store: pauses: %w", err)
	}
	defer rows.Close()
	out := []CallPause{}
	for rows.Next() {
		var p CallPause
		var end sql.NullInt64
		if err := rows.Scan(&p.ID, &p.StartMS, &end, &p.PausedBy, &p.ResumedBy); err != nil {
			return nil, fmt.Errorf("store: pauses: %w", mapErr(err))
		}
		if end.Valid {
			p.EndMS = &end.Int64
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AutoResumeSeconds is how long a pause lasts before recording resumes by
// itself in the tenant (300 unless the tenant set it; 0 never).
func (q Q) AutoResumeSeconds(ctx context.Context, tenantID string) (int, error) {
	var s int
	err := q.row(ctx, `SELECT auto_resume_seconds FROM recording_settings WHERE tenant_id = ?`, tenantID).Scan(&s)
	if err := mapErr(err); err == ErrNotFound {
		return 300, nil
	} else if err != nil {
		return 0, fmt.Errorf("store: auto-resume: %w", err)
	}
	return s, nil
}

// SetAutoResumeSeconds stores the tenant's auto-resume timeout.
func (q Q) SetAutoResumeSeconds(ctx context.Context, tenantID string, seconds int) error {
	_, err := q.exec(ctx, `INSERT INTO recording_settings (tenant_id, auto_resume_seconds, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET auto_resume_seconds = excluded.auto_resume_seconds, updated_at = excluded.updated_at`,
		tenantID, seconds, q.Now())
	if err != nil {
		return fmt.Errorf("store: set auto-resume: %w", err)
	}
	return nil
}

// OnDemandPause is the PausedBy of an on-demand call's pause: the span
// from the call's start until someone starts the recording. It never
// resumes by itself.
const OnDemandPause = "on demand: not started"

// OpenPause is a pause still running, with the tenant's auto-resume timeout.
type OpenPause struct {
	TenantID          string
	CallID            string
	Since             time.Time
	AutoResumeSeconds int
	PausedBy          string
}

// OpenPauses lists every running pause across tenants: the worker resumes
// those that outlast their tenant's timeout.
func (q Q) OpenPauses(ctx context.Context) ([]OpenPause, error) {
	rows, err := q.query(ctx, `SELECT p.tenant_id, p.call_id, p.created_at, COALESCE(s.auto_resume_seconds, 300), p.paused_by
		FROM call_pauses p LEFT JOIN recording_settings s ON s.tenant_id = p.tenant_id WHERE p.end_ms IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: open pauses: %w", err)
	}
	defer rows.Close()
	var out []OpenPause
	for rows.Next() {
		var o OpenPause
		if err := rows.Scan(&o.TenantID, &o.CallID, &o.Since, &o.AutoResumeSeconds, &o.PausedBy); err != nil {
			return nil, fmt.Errorf("store: open pauses: %w", mapErr(err))
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
