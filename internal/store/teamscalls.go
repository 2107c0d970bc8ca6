package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TeamsCall is one compliance-recording leg the Teams bot was invited to.
// Correlation ties it to the media edge's SIPREC session.
type TeamsCall struct {
	GraphCallID   string     `json:"graph_call_id"`
	TenantID      string     `json:"tenant_id"`
	ChainID       string     `json:"chain_id"`
	Correlation   string     `json:"-"`
	ObservedAADID string     `json:"observed_aad_id"`
	UserID        string     `json:"user_id"`
	Direction     string     `json:"direction"`
	Decision      string     `json:"decision"` // record, skip (answered, nothing kept) or reject
	Reason        string     `json:"reason"`
	Status        string     `json:"status"` // answering, answered, recording, not_recording, failed, rejected, terminated
	LastKeepAlive *time.Time `json:"last_keepalive"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

const teamsCallCols = `graph_call_id, tenant_id, chain_id, correlation, observed_aad_id, user_id, direction, decision, reason, status,
	last_keepalive, created_at, updated_at`

func scanTeamsCall(s interface{ Scan(...any) error }) (TeamsCall, error) {
	var c TeamsCall
	var ka sql.NullTime
	err := s.Scan(&c.GraphCallID, &c.TenantID, &c.ChainID, &c.Correlation, &c.ObservedAADID, &c.UserID, &c.Direction, &c.Decision,
		&c.Reason, &c.Status, &ka, &c.CreatedAt, &c.UpdatedAt)
	c.LastKeepAlive = timePtr(ka)
	return c, mapErr(err)
}

// InsertTeamsCall records a new leg; a duplicate notification (same Graph
// call id) gives ErrConflict.
func (q Q) InsertTeamsCall(ctx context.Context, c TeamsCall) error {
	_, err := q.exec(ctx, `INSERT INTO teams_calls (`+teamsCallCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.GraphCallID, c.TenantID, c.ChainID, c.Correlation, c.ObservedAADID, c.UserID, c.Direction, c.Decision, c.Reason, c.Status,
		nullTime(c.LastKeepAlive), c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: insert teams call: %w", err)
	}
	return nil
}

// SetTeamsCallStatus moves a leg of the tenant to a new status.
func (q Q) SetTeamsCallStatus(ctx context.Context, tenantID, graphCallID, status string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE teams_calls SET status = ?, updated_at = ? WHERE tenant_id = ? AND graph_call_id = ?`,
		status, at, tenantID, graphCallID))
}

// TouchTeamsCallKeepAlive records a successful keepAlive.
func (q Q) TouchTeamsCallKeepAlive(ctx context.Context, tenantID, graphCallID string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE teams_calls SET last_keepalive = ?, updated_at = ? WHERE tenant_id = ? AND graph_call_id = ?`,
		at, at, tenantID, graphCallID))
}

// GetTeamsCall returns a leg of the tenant.
func (q Q) GetTeamsCall(ctx context.Context, tenantID, graphCallID string) (TeamsCall, error) {
	c, err := scanTeamsCall(q.row(ctx, `SELECT `+teamsCallCols+` FROM teams_calls WHERE tenant_id = ? AND graph_call_id = ?`, tenantID, graphCallID))
	if err != nil {
		return c, fmt.Errorf("store: teams call: %w", err)
	}
	return c, nil
}

// TeamsCallByCorrelation finds the leg a SIPREC session belongs to. The
// correlation token is a secret the bot gave only to Microsoft's media
// path, so it is looked up installation-wide; the row names the tenant.
func (q Q) TeamsCallByCorrelation(ctx context.Context, correlation string) (TeamsCall, error) {
	c, err := scanTeamsCall(q.row(ctx, `SELECT `+teamsCallCols+` FROM teams_calls WHERE correlation = ?`, correlation))
	if err != nil {
		return c, fmt.Errorf("store: teams call: %w", err)
	}
	return c, nil
}

// TeamsCallsNeedingKeepAlive lists live legs (any tenant: the bot's
// keep-alive loop) whose last keepAlive is older than before.
func (q Q) TeamsCallsNeedingKeepAlive(ctx context.Context, before time.Time) ([]TeamsCall, error) {
	rows, err := q.query(ctx, `SELECT `+teamsCallCols+` FROM teams_calls WHERE status IN ('answered', 'recording', 'not_recording')
		AND COALESCE(last_keepalive, created_at) < ? ORDER BY created_at LIMIT 500`, before)
	if err != nil {
		return nil, fmt.Errorf("store: keepalive calls: %w", err)
	}
	defer rows.Close()
	var out []TeamsCall
	for rows.Next() {
		c, err := scanTeamsCall(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// IntegrationByOrgID finds the tenant whose Teams integration is connected
// to a Microsoft tenant; installation-wide because a notification names
// only Microsoft's tenant id.
func (q Q) IntegrationByOrgID(ctx context.Context, kind, orgID string) (Integration, error) {
	i, err := scanIntegration(q.row(ctx, `SELECT `+integrationCols+` FROM integrations WHERE kind = ? AND org_id = ?
		ORDER BY updated_at DESC LIMIT 1`, kind, orgID))
	if err != nil {
		return i, fmt.Errorf("store: integration by organization: %w", err)
	}
	return i, nil
}

// Alert is something a tenant admin must look at.
type Alert struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Kind       string     `json:"kind"`
	Message    string     `json:"message"`
	ResolvedAt *time.Time `json:"resolved_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// InsertAlert raises an alert in the tenant.
func (q Q) InsertAlert(ctx context.Context, a Alert) error {
	_, err := q.exec(ctx, `INSERT INTO alerts (id, tenant_id, kind, message, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.ID, a.TenantID, a.Kind, a.Message, a.CreatedAt)
	return err
}

// OpenAlerts lists the tenant's unresolved alerts, newest first.
func (q Q) OpenAlerts(ctx context.Context, tenantID string) ([]Alert, error) {
	rows, err := q.query(ctx, `SELECT id, tenant_id, kind, message, resolved_at, created_at FROM alerts
		WHERE tenant_id = ? AND resolved_at IS NULL ORDER BY created_at DESC LIMIT 100`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		var res sql.NullTime
		if err := rows.Scan(&a.ID, &a.TenantID, &a.Kind, &a.Message, &res, &a.CreatedAt); err != nil {
			return nil, err
		}
		a.ResolvedAt = timePtr(res)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ResolveAlert closes an alert of the tenant.
func (q Q) ResolveAlert(ctx context.Context, tenantID, id string, at time.Time) error {
	return affectedOne(q.exec(ctx, `UPDATE alerts SET resolved_at = ? WHERE tenant_id = ? AND id = ? AND resolved_at IS NULL`, at, tenantID, id))
}
