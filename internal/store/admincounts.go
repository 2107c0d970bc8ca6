package store

import (
	"context"
	"fmt"
	"strings"
)

// userWhere turns a filter into the WHERE terms and arguments of a user
// query on the alias u; ListUsers and CountUsers share it so a page and its
// total always agree.
func userWhere(tenantID string, f UserFilter) ([]string, []any) {
	where := []string{"u.tenant_id = ?"}
	args := []any{tenantID}
	if f.Search != "" {
		p := likePattern(f.Search)
		where = append(where, `(lower(u.name) LIKE ? ESCAPE '\' OR lower(COALESCE(u.login, '')) LIKE ? ESCAPE '\' OR lower(u.email) LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM user_extensions e WHERE e.tenant_id = u.tenant_id AND e.user_id = u.id AND lower(e.extension) LIKE ? ESCAPE '\'))`)
		args = append(args, p, p, p, p)
	}
	if f.GroupID != "" {
		where = append(where, `EXISTS (SELECT 1 FROM group_members m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND m.group_id = ?)`)
		args = append(args, f.GroupID)
	}
	if f.Role != "" {
		where = append(where, "u.role = ?")
		args = append(args, f.Role)
	}
	if f.Active != nil {
		where = append(where, "u.active = ?")
		args = append(args, *f.Active)
	}
	if f.License != "" {
		where = append(where, `EXISTS (SELECT 1 FROM user_licenses l WHERE l.tenant_id = u.tenant_id AND l.user_id = u.id AND l.license_type = ?)`)
		args = append(args, f.License)
	}
	return where, args
}

// CountUsers counts the tenant's users matching the filter (cursor and
// limit ignored): the "1–20 of N" of the users list and the user column of
// the provider's tenants table.
func (q Q) CountUsers(ctx context.Context, tenantID string, f UserFilter) (int, error) {
	where, args := userWhere(tenantID, f)
	var n int
	if err := q.row(ctx, `SELECT COUNT(*) FROM users u WHERE `+strings.Join(where, " AND "), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// UserCounts maps every tenant id to its number of users in one query, for
// the provider's tenants table.
func (q Q) UserCounts(ctx context.Context) (map[string]int, error) {
	rows, err := q.query(ctx, `SELECT tenant_id, COUNT(*) FROM users WHERE tenant_id IS NOT NULL GROUP BY tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("store: user counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// AuditActions lists the distinct actions in the tenant's audit log, for
// the viewer's filter.
func (q Q) AuditActions(ctx context.Context, tenantID string) ([]string, error) {
	return q.userStrings(ctx, `SELECT DISTINCT action FROM audit_log WHERE COALESCE(tenant_id, '') = ? ORDER BY action`, tenantID)
}

// Savepoint marks a point inside a transaction that RollbackTo can return
// to, so one bad row of an import can be undone while the others stay.
// name must be a plain identifier chosen by the caller.
func (q Q) Savepoint(ctx context.Context, name string) error {
	_, err := q.exec(ctx, `SAVEPOINT `+name)
	return err
}

// RollbackTo undoes everything since the savepoint and releases it.
func (q Q) RollbackTo(ctx context.Context, name string) error {
	if _, err := q.exec(ctx, `ROLLBACK TO SAVEPOINT `+name); err != nil {
		return err
	}
	_, err := q.exec(ctx, `RELEASE SAVEPOINT `+name)
	return err
}

// Release keeps what was done since the savepoint.
func (q Q) Release(ctx context.Context, name string) error {
	_, err := q.exec(ctx, `RELEASE SAVEPOINT `+name)
	return err
}
