package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// ProviderAlert is something a provider admin must look at: the provider's
// counterpart of a tenant's Alert, about more than one tenant.
type ProviderAlert struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Detail is the alert's facts as JSON (for an ambiguous source: the
	// sources and tenants involved), null when it has none.
	Detail     json.RawMessage `json:"detail"`
	DedupKey   string          `json:"-"`
	ResolvedAt *time.Time      `json:"resolved_at"`
	CreatedAt  time.Time       `json:"created_at"`
}

// RaiseProviderAlert stores the alert unless one with the same DedupKey was
// raised after since, and reports whether it did. It must run inside
// DB.InTx: on PostgreSQL it locks the table so that two recorder nodes
// seeing the same flood do not both raise it (SQLite's IMMEDIATE
// transactions already serialise writers).
func (q Q) RaiseProviderAlert(ctx context.Context, a ProviderAlert, since time.Time) (bool, error) {
	if q.db.dialect == Postgres {
		if _, err := q.exec(ctx, `LOCK TABLE provider_alerts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return false, fmt.Errorf("store: lock provider alerts: %w", err)
		}
	}
	if a.DedupKey != "" {
		var n int
		err := q.row(ctx, `SELECT COUNT(*) FROM provider_alerts WHERE dedup_key = ? AND created_at > ?`, a.DedupKey, since.UTC()).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("store: provider alert dedup: %w", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	_, err := q.exec(ctx, `INSERT INTO provider_alerts (id, kind, message, detail, dedup_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, a.Kind, a.Message, string(a.Detail), a.DedupKey, a.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("store: insert provider alert: %w", err)
	}
	return true, nil
}

// OpenProviderAlerts lists the provider's unresolved alerts, newest first.
func (q Q) OpenProviderAlerts(ctx context.Context) ([]ProviderAlert, error) {
	rows, err := q.query(ctx, `SELECT id, kind, message, detail, dedup_key, resolved_at, created_at FROM provider_alerts
		WHERE resolved_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("store: provider alerts: %w", err)
	}
	defer rows.Close()
	out := []ProviderAlert{}
	for rows.Next() {
		var a ProviderAlert
		var detail string
		var res sql.NullTime
		if err := rows.Scan(&a.ID, &a.Kind, &a.Message, &detail, &a.DedupKey, &res, &a.CreatedAt); err != nil {
			return nil, err
		}
		if detail != "" {
			a.Detail = json.RawMessage(detail)
		}
		a.ResolvedAt = timePtr(res)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ResolveProviderAlert closes an open provider alert.
func (q Q) ResolveProviderAlert(ctx context.Context, id string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE provider_alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL`, at, id))
}
