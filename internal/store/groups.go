package store

import (
	"context"
	"fmt"
	"time"
)

// Group is a set of users of a tenant. The default group, made with the
// tenant, holds every user and cannot be changed.
type Group struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	Name       string    `json:"name"`
	Timezone   string    `json:"timezone"`
	IsDefault  bool      `json:"is_default"`
	TotalUsers int       `json:"total_users"`
	CreatedAt  time.Time `json:"created_at"`
}

const groupCols = `g.id, g.tenant_id, g.name, g.timezone, g.is_default, g.created_at,
	(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(s interface{ Scan(...any) error }) (Group, error) {
	var g Group
	err := s.Scan(&g.ID, &g.TenantID, &g.Name, &g.Timezone, &g.IsDefault, &g.CreatedAt, &g.TotalUsers)
	return g, mapErr(err)
}

// InsertGroup stores a group; a duplicate name in the tenant is ErrConflict.
func (q Q) InsertGroup(ctx context.Context, g Group) error {
	_, err := q.exec(ctx, `INSERT INTO user_groups (id, tenant_id, name, timezone, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		g.ID, g.TenantID, g.Name, g.Timezone, g.IsDefault, g.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: insert group: %w", err)
	}
	return nil
}

// UpdateGroup renames a group or changes its timezone; never the default one.
func (q Q) UpdateGroup(ctx context.Context, g Group) error {
	res, err := q.exec(ctx, `UPDATE user_groups SET name = ?, timezone = ? WHERE tenant_id = ? AND id = ? AND is_default = ?`,
		g.Name, g.Timezone, g.TenantID, g.ID, false)
	if err := affectedOne(res, err); err != nil {
		return q.explainGroupMiss(ctx, g.TenantID, g.ID, err)
	}
	return nil
}

// DeleteGroup removes a group (its members stay users); never the default one.
func (q Q) DeleteGroup(ctx context.Context, tenantID, id string) error {
	res, err := q.exec(ctx, `DELETE FROM user_groups WHERE tenant_id = ? AND id = ? AND is_default = ?`, tenantID, id, false)
	if err := affectedOne(res, err); err != nil {
		return q.explainGroupMiss(ctx, tenantID, id, err)
	}
	return nil
}

// explainGroupMiss tells a missing group from the protected default group.
func (q Q) explainGroupMiss(ctx context.Context, tenantID, id string, err error) error {
	if g, gerr := q.GetGroup(ctx, tenantID, id); gerr == nil && g.IsDefault {
		return ErrDefaultGroupFixed
	}
	return fmt.Errorf("store: group: %w", err)
}

// GetGroup returns one group of the tenant.
func (q Q) GetGroup(ctx context.Context, tenantID, id string) (Group, error) {
	g, err := scanGroup(q.row(ctx, `SELECT `+groupCols+` FROM user_groups g WHERE g.tenant_id = ? AND g.id = ?`, tenantID, id))
	if err != nil {
		return g, fmt.Errorf("store: get group: %w", err)
	}
	return g, nil
}

// DefaultGroup returns the tenant's default group.
func (q Q) DefaultGroup(ctx context.Context, tenantID string) (Group, error) {
	g, err := scanGroup(q.row(ctx, `SELECT `+groupCols+` FROM user_groups g WHERE g.tenant_id = ? AND g.is_default = ?`, tenantID, true))
	if err != nil {
		return g, fmt.Errorf("store: default group: %w", err)
	}
	return g, nil
}

// ListGroups returns the tenant's groups, default first, then by name,
// optionally filtered by a name search.
func (q Q) ListGroups(ctx context.Context, tenantID, search string) ([]Group, error) {
	where := "g.tenant_id = ?"
	args := []any{tenantID}
	if search != "" {
		where += ` AND lower(g.name) LIKE ? ESCAPE '\'`
		args = append(args, likePattern(search))
	}
	rows, err := q.query(ctx, `SELECT `+groupCols+` FROM user_groups g WHERE `+where+` ORDER BY g.is_default DESC, lower(g.name), g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// AddGroupMember adds a user of the tenant to a group of the tenant.
func (q Q) AddGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	res, err := q.exec(ctx, `INSERT INTO group_members (tenant_id, group_id, user_id)
		SELECT g.tenant_id, g.id, u.id FROM user_groups g, users u
		WHERE g.tenant_id = ? AND g.id = ? AND u.tenant_id = g.tenant_id AND u.id = ?
		ON CONFLICT (group_id, user_id) DO NOTHING`, tenantID, groupID, userID)
	if err != nil {
		return fmt.Errorf("store: add member: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Either already a member (fine) or the group/user is not the tenant's.
		var one int
		err := q.row(ctx, `SELECT 1 FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?`, tenantID, groupID, userID).Scan(&one)
		if err != nil {
			return fmt.Errorf("store: add member: %w", mapErr(err))
		}
	}
	return nil
}

// RemoveGroupMember takes a user out of a group; never out of the default group.
func (q Q) RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) error {
	res, err := q.exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?
		AND group_id NOT IN (SELECT id FROM user_groups WHERE tenant_id = ? AND is_default = ?)`, tenantID, groupID, userID, tenantID, true)
	if err := affectedOne(res, err); err != nil {
		return q.explainGroupMiss(ctx, tenantID, groupID, err)
	}
	return nil
}

// GroupMembers lists the users of a group by name.
func (q Q) GroupMembers(ctx context.Context, tenantID, groupID string) ([]User, error) {
	rows, err := q.query(ctx, `SELECT `+userColsAs("u")+` FROM users u JOIN group_members m ON m.user_id = u.id
		WHERE m.tenant_id = ? AND m.group_id = ? AND u.tenant_id = ? ORDER BY lower(u.name), u.id`, tenantID, groupID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: group members: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GroupNames maps group ids of the tenant to names, for display.
func (q Q) GroupNames(ctx context.Context, tenantID string) (map[string]string, error) {
	gs, err := q.ListGroups(ctx, tenantID, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(gs))
	for _, g := range gs {
		out[g.ID] = g.Name
	}
	return out, nil
}
