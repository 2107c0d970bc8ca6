package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// APIToken is a bearer token; only its hash is stored.
type APIToken struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id,omitempty"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Hash       string     `json:"-"`
}

const tokenCols = `id, COALESCE(tenant_id, ''), user_id, name, created_at, last_used_at, token_hash`

func scanToken(s interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var last sql.NullTime
	err := s.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &t.CreatedAt, &last, &t.Hash)
	t.LastUsedAt = timePtr(last)
	return t, mapErr(err)
}

// InsertToken stores a new token.
func (q Q) InsertToken(ctx context.Context, t APIToken) error {
	_, err := q.exec(ctx, `INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, nullable(t.TenantID), t.UserID, t.Name, t.Hash, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert token: %w", err)
	}
	return nil
}

// TokenByHash finds a token for authentication and stamps its use.
func (q Q) TokenByHash(ctx context.Context, hash string) (APIToken, error) {
	t, err := scanToken(q.row(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE token_hash = ?`, hash))
	if err != nil {
		return t, fmt.Errorf("store: token: %w", err)
	}
	_, _ = q.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, q.Now(), t.ID)
	return t, nil
}

// ListTokens lists the tokens of the tenant, or of one user when userID is set.
// Provider-level tokens have an empty tenant id.
func (q Q) ListTokens(ctx context.Context, tenantID, userID string) ([]APIToken, error) {
	query := `SELECT ` + tokenCols + ` FROM api_tokens WHERE COALESCE(tenant_id, '') = ?`
	args := []any{tenantID}
	if userID != "" {
		query += ` AND user_id = ?`
		args = append(args, userID)
	}
	rows, err := q.query(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetToken returns one token of the tenant.
func (q Q) GetToken(ctx context.Context, tenantID, id string) (APIToken, error) {
	t, err := scanToken(q.row(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE COALESCE(tenant_id, '') = ? AND id = ?`, tenantID, id))
	if err != nil {
		return t, fmt.Errorf("store: get token: %w", err)
	}
	return t, nil
}

// DeleteToken revokes a token of the tenant.
func (q Q) DeleteToken(ctx context.Context, tenantID, id string) error {
	return affectedOne(q.exec(ctx, `DELETE FROM api_tokens WHERE COALESCE(tenant_id, '') = ? AND id = ?`, tenantID, id))
}
