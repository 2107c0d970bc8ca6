package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditEntry records who did what to which object, when and from where.
type AuditEntry struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id,omitempty"`
	ActorID    string    `json:"actor_id"`
	ActorLogin string    `json:"actor_login"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Detail     string    `json:"detail"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Actor      string // login substring
	Action     string // exact or prefix ending in "."
	ObjectType string
	ObjectID   string
	From, To   *time.Time
	Limit      int
	Cursor     string
}

// InsertAudit appends an entry.
func (q Q) InsertAudit(ctx context.Context, e AuditEntry) error {
	_, err := q.exec(ctx, `INSERT INTO audit_log (id, tenant_id, actor_id, actor_login, action, object_type, object_id, detail, ip, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, nullable(e.TenantID), e.ActorID, e.ActorLogin, e.Action, e.ObjectType, e.ObjectID,
		e.Detail, e.IP, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// ListAudit returns the tenant's audit entries, newest first. An empty
// tenantID lists provider-level entries.
func (q Q) ListAudit(ctx context.Context, tenantID string, f AuditFilter) ([]AuditEntry, string, error) {
	where := []string{"COALESCE(tenant_id, '') = ?"}
	args := []any{tenantID}
	if f.Actor != "" {
		where = append(where, `lower(actor_login) LIKE ? ESCAPE '\'`)
		args = append(args, likePattern(f.Actor))
	}
	if strings.HasSuffix(f.Action, ".") {
		where = append(where, `action LIKE ? ESCAPE '\'`)
		args = append(args, strings.TrimSuffix(likePattern(f.Action), "%")[1:]+"%")
	} else if f.Action != "" {
		where = append(where, "action = ?")
		args = append(args, f.Action)
	}
	if f.ObjectType != "" {
		where = append(where, "object_type = ?")
		args = append(args, f.ObjectType)
	}
	if f.ObjectID != "" {
		where = append(where, "object_id = ?")
		args = append(args, f.ObjectID)
	}
	if f.From != nil {
		where = append(where, "created_at >= ?")
		args = append(args, f.From.UTC())
	}
	if f.To != nil {
		where = append(where, "created_at < ?")
		args = append(args, f.To.UTC())
	}
	if f.Cursor != "" {
		_, id, ok := DecodeCursor(f.Cursor)
		if !ok {
			return nil, "", fmt.Errorf("store: %w", ErrBadCursor)
		}
		where = append(where, "id < ?")
		args = append(args, id)
	}
	limit := clampLimit(f.Limit)
	args = append(args, limit+1)
	rows, err := q.query(ctx, `SELECT id, COALESCE(tenant_id, ''), actor_id, actor_login, action, object_type, object_id, detail, ip, created_at
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorLogin, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.IP, &e.CreatedAt); err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = EncodeCursor("", out[limit-1].ID)
	}
	return out, next, nil
}
