package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// UserFilter narrows a user list. Empty fields do not filter.
type UserFilter struct {
	Search  string // name, login, email or extension, case-insensitive
	GroupID string
	Role    string
	Active  *bool
	License string
	Limit   int
	Cursor  string
}

// EncodeCursor makes an opaque keyset cursor from sort key and id.
func EncodeCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

// DecodeCursor reverses EncodeCursor; ok is false for a malformed cursor.
func DecodeCursor(c string) (key, id string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", false
	}
	key, id, ok = strings.Cut(string(raw), "\x00")
	return key, id, ok
}

// ListUsers returns one page of the tenant's users ordered by name, and the
// cursor of the next page ("" on the last).
func (q Q) ListUsers(ctx context.Context, tenantID string, f UserFilter) ([]User, string, error) {
	where, args := userWhere(tenantID, f)
	if f.Cursor != "" {
		key, id, ok := DecodeCursor(f.Cursor)
		if !ok {
			return nil, "", fmt.Errorf("store: %w", ErrBadCursor)
		}
		where = append(where, "(lower(u.name) > ? OR (lower(u.name) = ? AND u.id > ?))")
		args = append(args, key, key, id)
	}
	limit := clampLimit(f.Limit)
	args = append(args, limit+1)
	rows, err := q.query(ctx, `SELECT `+userColsAs("u")+` FROM users u WHERE `+strings.Join(where, " AND ")+
		` ORDER BY lower(u.name), u.id LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list users: %w", err)
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = EncodeCursor(strings.ToLower(last.Name), last.ID)
	}
	for i := range out {
		if err := q.loadRelations(ctx, &out[i]); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// clampLimit bounds a page size to 1..500, defaulting to 50.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
