package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SCIMToken is a tenant's SCIM provisioning bearer token; only its hash is
// stored.
type SCIMToken struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Name       string     `json:"name"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Hash       string     `json:"-"`
}

const scimTokenCols = `id, tenant_id, name, created_by, created_at, last_used_at, token_hash`

func scanSCIMToken(s interface{ Scan(...any) error }) (SCIMToken, error) {
	var t SCIMToken
	var last sql.NullTime
	err := s.Scan(&t.ID, &t.TenantID, &t.Name, &t.CreatedBy, &t.CreatedAt, &last, &t.Hash)
	t.LastUsedAt = timePtr(last)
	return t, mapErr(err)
}

// InsertSCIMToken stores a new SCIM token.
func (q Q) InsertSCIMToken(ctx context.Context, t SCIMToken) error {
	_, err := q.exec(ctx, `INSERT INTO scim_tokens (id, tenant_id, name, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.TenantID, t.Name, t.Hash, t.CreatedBy, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert scim token: %w", mapErr(err))
	}
	return nil
}

// SCIMTokenByHash finds a SCIM token for authentication and stamps its use.
func (q Q) SCIMTokenByHash(ctx context.Context, hash string) (SCIMToken, error) {
	t, err := scanSCIMToken(q.row(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE token_hash = ?`, hash))
	if err != nil {
		return t, fmt.Errorf("store: scim token: %w", err)
	}
	_, _ = q.exec(ctx, `UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`, q.Now(), t.ID)
	return t, nil
}

// ListSCIMTokens lists the tenant's SCIM tokens, oldest first.
func (q Q) ListSCIMTokens(ctx context.Context, tenantID string) ([]SCIMToken, error) {
	rows, err := q.query(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: list scim tokens: %w", err)
	}
	defer rows.Close()
	out := []SCIMToken{}
	for rows.Next() {
		t, err := scanSCIMToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetSCIMToken returns one SCIM token of the tenant.
func (q Q) GetSCIMToken(ctx context.Context, tenantID, id string) (SCIMToken, error) {
	t, err := scanSCIMToken(q.row(ctx, `SELECT `+scimTokenCols+` FROM scim_tokens WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return t, fmt.Errorf("store: get scim token: %w", err)
	}
	return t, nil
}

// DeleteSCIMToken revokes a SCIM token of the tenant.
func (q Q) DeleteSCIMToken(ctx context.Context, tenantID, id string) error {
	return affectedOne(q.exec(ctx, `DELETE FROM scim_tokens WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// SetExternalID records (or with an empty value forgets) the provisioning
// client's externalId of a user or group of the tenant.
func (q Q) SetExternalID(ctx context.Context, tenantID, resourceID, externalID string) error {
	var err error
	if externalID == "" {
		_, err = q.exec(ctx, `DELETE FROM scim_external_ids WHERE tenant_id = ? AND resource_id = ?`, tenantID, resourceID)
	} else {
		_, err = q.exec(ctx, `INSERT INTO scim_external_ids (tenant_id, resource_id, external_id) VALUES (?, ?, ?)
			ON CONFLICT (tenant_id, resource_id) DO UPDATE SET external_id = excluded.external_id`, tenantID, resourceID, externalID)
	}
	if err != nil {
		return fmt.Errorf("store: external id: %w", err)
	}
	return nil
}

// ExternalIDs maps the tenant's resource ids to their externalId.
func (q Q) ExternalIDs(ctx context.Context, tenantID string) (map[string]string, error) {
	rows, err := q.query(ctx, `SELECT resource_id, external_id FROM scim_external_ids WHERE tenant_id = ?`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: external ids: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, ext string
		if err := rows.Scan(&id, &ext); err != nil {
			return nil, err
		}
		out[id] = ext
	}
	return out, rows.Err()
}

// InsertUserTombstone remembers that a user of the tenant was deleted, for
// the changes feed.
func (q Q) InsertUserTombstone(ctx context.Context, tenantID, userID, login string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO user_tombstones (tenant_id, user_id, login, deleted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at`, tenantID, userID, login, at)
	if err != nil {
		return fmt.Errorf("store: user tombstone: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM scim_external_ids WHERE tenant_id = ? AND resource_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("store: user tombstone: %w", err)
	}
	return nil
}

// UserTombstone is a deleted user as the changes feed reports it.
type UserTombstone struct {
	TenantID  string
	UserID    string
	Login     string
	DeletedAt time.Time
}

// UsersChangedAfter returns up to limit users of the tenant changed after
// (at, id) and no later than until, in (updated_at, id) order.
func (q Q) UsersChangedAfter(ctx context.Context, tenantID string, at time.Time, id string, until time.Time, limit int) ([]User, error) {
	return q.usersChanged(ctx, `tenant_id = ? AND `, []any{tenantID}, at, id, until, limit)
}

// ProviderUsersChangedAfter is UsersChangedAfter over every tenant's users
// (not the provider's own), for the provider's license-holder feed.
func (q Q) ProviderUsersChangedAfter(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]User, error) {
	return q.usersChanged(ctx, `tenant_id IS NOT NULL AND `, nil, at, id, until, limit)
}

func (q Q) usersChanged(ctx context.Context, scope string, args []any, at time.Time, id string, until time.Time, limit int) ([]User, error) {
	args = append(args, at, at, id, until, limit)
	rows, err := q.query(ctx, `SELECT `+userCols+` FROM users WHERE `+scope+`(updated_at > ? OR (updated_at = ? AND id > ?))
		AND updated_at <= ? ORDER BY updated_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: users changed: %w", err)
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := q.loadRelations(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TombstonesAfter returns up to limit users of the tenant deleted after
// (at, id) and no later than until, in (deleted_at, user_id) order.
func (q Q) TombstonesAfter(ctx context.Context, tenantID string, at time.Time, id string, until time.Time, limit int) ([]UserTombstone, error) {
	return q.tombstones(ctx, `tenant_id = ? AND `, []any{tenantID}, at, id, until, limit)
}

// ProviderTombstonesAfter is TombstonesAfter over every tenant.
func (q Q) ProviderTombstonesAfter(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]UserTombstone, error) {
	return q.tombstones(ctx, "", nil, at, id, until, limit)
}

func (q Q) tombstones(ctx context.Context, scope string, args []any, at time.Time, id string, until time.Time, limit int) ([]UserTombstone, error) {
	args = append(args, at, at, id, until, limit)
	rows, err := q.query(ctx, `SELECT tenant_id, user_id, login, deleted_at FROM user_tombstones WHERE `+scope+`
		(deleted_at > ? OR (deleted_at = ? AND user_id > ?)) AND deleted_at <= ? ORDER BY deleted_at, user_id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: tombstones: %w", err)
	}
	defer rows.Close()
	var out []UserTombstone
	for rows.Next() {
		var t UserTombstone
		if err := rows.Scan(&t.TenantID, &t.UserID, &t.Login, &t.DeletedAt); err != nil {
			return nil, err
		}
		t.DeletedAt = t.DeletedAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}
