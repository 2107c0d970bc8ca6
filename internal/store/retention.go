package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ExpiredCall is a finished call whose retention has run out.
type ExpiredCall struct {
	TenantID  string
	ID        string
	BlobKey   string
	SizeBytes int64
	ExpiresAt time.Time
}

// ExpiredCalls lists up to limit finished calls, across tenants, whose
// expiry is before now: the retention job's work list. Active calls are
// left to the recorder.
func (q Q) ExpiredCalls(ctx context.Context, now time.Time, limit int) ([]ExpiredCall, error) {
	rows, err := q.query(ctx, `SELECT tenant_id, id, blob_key, size_bytes, expires_at FROM calls
		WHERE expires_at IS NOT NULL AND expires_at < ? AND state <> ? ORDER BY expires_at LIMIT ?`, now.UTC(), CallActive, limit)
	if err != nil {
		return nil, fmt.Errorf("store: expired calls: %w", err)
	}
	defer rows.Close()
	var out []ExpiredCall
	for rows.Next() {
		var c ExpiredCall
		if err := rows.Scan(&c.TenantID, &c.ID, &c.BlobKey, &c.SizeBytes, &c.ExpiresAt); err != nil {
			return nil, fmt.Errorf("store: expired calls: %w", mapErr(err))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// StorageUse is what a tenant's recordings take.
type StorageUse struct {
	Recordings int64 `json:"recordings"`
	Bytes      int64 `json:"bytes"`
}

// TenantStorage sums the stored audio of the tenant's calls.
func (q Q) TenantStorage(ctx context.Context, tenantID string) (StorageUse, error) {
	var s StorageUse
	err := q.row(ctx, `SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM calls WHERE tenant_id = ? AND blob_key <> ''`, tenantID).
		Scan(&s.Recordings, &s.Bytes)
	if err != nil {
		return s, fmt.Errorf("store: storage use: %w", mapErr(err))
	}
	return s, nil
}

// CallStats are the dashboard's tiles over a filter.
type CallStats struct {
	Calls      int64 `json:"calls"`
	DurationMS int64 `json:"duration_ms"`
	Users      int64 `json:"users"`
	Groups     int64 `json:"groups"`
}

// RecordingStats counts the calls matching f (its sort and paging are
// ignored), their total duration, and the users and (non-default) groups
// they belong to.
func (q Q) RecordingStats(ctx context.Context, tenantID string, f RecordingFilter) (CallStats, error) {
	var s CallStats
	where, args, none := recordingWhere(tenantID, f)
	if none {
		return s, nil
	}
	cond := strings.Join(where, " AND ")
	err := q.row(ctx, `SELECT COUNT(*), COALESCE(SUM(c.duration_ms), 0), COUNT(DISTINCT NULLIF(c.recorded_user_id, '')) FROM calls c WHERE `+cond, args...).
		Scan(&s.Calls, &s.DurationMS, &s.Users)
	if err != nil {
		return s, fmt.Errorf("store: call stats: %w", mapErr(err))
	}
	err = q.row(ctx, `SELECT COUNT(DISTINCT m.group_id) FROM group_members m JOIN user_groups g ON g.id = m.group_id
		WHERE m.tenant_id = ? AND g.is_default = ? AND m.user_id IN (SELECT c.recorded_user_id FROM calls c WHERE `+cond+`)`,
		append([]any{tenantID, false}, args...)...).Scan(&s.Groups)
	if err != nil {
		return s, fmt.Errorf("store: call stats groups: %w", mapErr(err))
	}
	return s, nil
}
