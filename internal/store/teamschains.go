package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TeamsCallUser lists a recorded user under a Teams call chain (a meeting,
// a group call, a call between recorded users, its transfers): the chain's
// one recording shows in that user's list.
type TeamsCallUser struct {
	TenantID      string
	ChainID       string
	UserID        string
	GraphCallID   string // the bot leg that recorded the user
	ObservedAADID string
	Direction     string
	CreatedAt     time.Time
}

// AddTeamsCallUser lists a user under a chain; listing them again changes
// nothing and reports added false.
func (q Q) AddTeamsCallUser(ctx context.Context, u TeamsCallUser) (added bool, err error) {
	res, err := q.exec(ctx, `INSERT INTO teams_call_users (tenant_id, chain_id, user_id, graph_call_id, observed_aad_id, direction, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, chain_id, user_id) DO NOTHING`,
		u.TenantID, u.ChainID, u.UserID, u.GraphCallID, u.ObservedAADID, u.Direction, u.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("store: add teams call user: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// TeamsCallUsers lists the users recorded in a chain of the tenant, in the
// order they joined.
func (q Q) TeamsCallUsers(ctx context.Context, tenantID, chainID string) ([]TeamsCallUser, error) {
	rows, err := q.query(ctx, `SELECT tenant_id, chain_id, user_id, graph_call_id, observed_aad_id, direction, created_at
		FROM teams_call_users WHERE tenant_id = ? AND chain_id = ? ORDER BY created_at, user_id`, tenantID, chainID)
	if err != nil {
		return nil, fmt.Errorf("store: teams call users: %w", err)
	}
	defer rows.Close()
	out := []TeamsCallUser{}
	for rows.Next() {
		var u TeamsCallUser
		if err := rows.Scan(&u.TenantID, &u.ChainID, &u.UserID, &u.GraphCallID, &u.ObservedAADID, &u.Direction, &u.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: teams call users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountTeamsCallUsers is how many users a bot leg records (its own user and
// those accepted through participantJoiningNotification).
func (q Q) CountTeamsCallUsers(ctx context.Context, tenantID, graphCallID string) (int, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM teams_call_users WHERE tenant_id = ? AND graph_call_id = ?`, tenantID, graphCallID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count teams call users: %w", err)
	}
	return n, nil
}

// ChainRecorder returns the leg that keeps a chain's audio: the first leg
// of the chain (by creation, then id) that records and is still live. The
// audio of the other legs of the chain would duplicate it; ErrNotFound
// when no live leg records.
func (q Q) ChainRecorder(ctx context.Context, tenantID, chainID string) (TeamsCall, error) {
	c, err := scanTeamsCall(q.row(ctx, `SELECT `+teamsCallCols+` FROM teams_calls WHERE tenant_id = ? AND chain_id = ?
		AND decision = 'record' AND status IN ('answering', 'answered', 'recording', 'not_recording')
		ORDER BY created_at, graph_call_id LIMIT 1`, tenantID, chainID))
	if err != nil {
		return c, fmt.Errorf("store: chain recorder: %w", err)
	}
	return c, nil
}

// CallListedUnder reports whether a call of the tenant is listed under one
// of the users: recorded for them, or the recording of a Teams chain they
// were recorded in.
func (q Q) CallListedUnder(ctx context.Context, tenantID, callID string, userIDs []string) (bool, error) {
	if len(userIDs) == 0 {
		return false, nil
	}
	cond, args := listedUnder("c", tenantID, userIDs)
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM calls c WHERE c.tenant_id = ? AND c.id = ? AND `+cond,
		append([]any{tenantID, callID}, args...)...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: call listed under: %w", err)
	}
	return n > 0, nil
}

// listedUnder is the condition over calls alias a that a call is listed
// under one of the users: its recorded user, or a recorded user of the
// Teams chain whose leg made it.
func listedUnder(a, tenantID string, userIDs []string) (string, []any) {
	ids := make([]any, len(userIDs))
	for i, id := range userIDs {
		ids[i] = id
	}
	return listedUnderSet(a, tenantID, "(?"+strings.Repeat(", ?", len(userIDs)-1)+")", ids)
}

// listedUnderSet is listedUnder for a set of user ids given as SQL (a
// parenthesised list or subquery) with its arguments. Through a chain only
// calls with audio are listed: the chain's recording, not the rows of its
// other legs, whose audio it already holds. The chain side is an
// uncorrelated subquery so both engines can seek calls_tenant_external.
func listedUnderSet(a, tenantID, set string, setArgs []any) (string, []any) {
	args := append(append(append([]any{}, setArgs...), tenantID), setArgs...)
	return "(" + a + ".recorded_user_id IN " + set + " OR " + a + ".recorded AND " + a + ".external_call_id IN (SELECT t.graph_call_id FROM teams_calls t" +
		" JOIN teams_call_users u ON u.tenant_id = t.tenant_id AND u.chain_id = t.chain_id" +
		" WHERE t.tenant_id = ? AND u.user_id IN " + set + "))", args
}
