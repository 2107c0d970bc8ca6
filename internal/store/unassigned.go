package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// UnknownAddress is an address that took part in the tenant's Unassigned
// calls (calls whose parties matched no user's extension).
type UnknownAddress struct {
	AOR   string `json:"aor"`
	Calls int    `json:"calls"`
}

// UnknownAddresses lists the addresses of the tenant's Unassigned calls
// since the time given, the most frequent first (at most limit).
func (q Q) UnknownAddresses(ctx context.Context, tenantID string, since time.Time, limit int) ([]UnknownAddress, error) {
	rows, err := q.query(ctx, `SELECT p.aor, COUNT(DISTINCT c.id) FROM calls c
		JOIN call_participants p ON p.tenant_id = c.tenant_id AND p.call_id = c.id
		WHERE c.tenant_id = ? AND c.recorded_user_id = '' AND c.started_at >= ? AND p.user_id = '' AND p.aor <> ''
		GROUP BY p.aor ORDER BY COUNT(DISTINCT c.id) DESC, p.aor LIMIT ?`, tenantID, since.UTC(), clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: unknown addresses: %w", err)
	}
	defer rows.Close()
	out := []UnknownAddress{}
	for rows.Next() {
		var u UnknownAddress
		if err := rows.Scan(&u.AOR, &u.Calls); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// maxAssign bounds the calls one assignment moves; an admin repeats it for more.
const maxAssign = 5000

// AssignUnassigned gives the tenant's Unassigned calls in which aor took
// part to the user: the user becomes the calls' recorded user and that
// participant is marked as the user. It returns the calls' ids.
func (q Q) AssignUnassigned(ctx context.Context, tenantID, aor, userID string) ([]string, error) {
	rows, err := q.query(ctx, `SELECT DISTINCT c.id FROM calls c
		JOIN call_participants p ON p.tenant_id = c.tenant_id AND p.call_id = c.id
		WHERE c.tenant_id = ? AND c.recorded_user_id = '' AND p.aor = ? AND p.user_id = '' LIMIT ?`, tenantID, aor, maxAssign)
	if err != nil {
		return nil, fmt.Errorf("store: assign calls: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: assign calls: %w", err)
	}
	now := q.Now()
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		in := "(?" + strings.Repeat(", ?", len(chunk)-1) + ")"
		args := []any{userID, now, tenantID}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := q.exec(ctx, `UPDATE calls SET recorded_user_id = ?, updated_at = ? WHERE tenant_id = ? AND recorded_user_id = '' AND id IN `+in, args...); err != nil {
			return nil, fmt.Errorf("store: assign calls: %w", err)
		}
		pargs := append([]any{userID, tenantID, aor}, args[3:]...)
		if _, err := q.exec(ctx, `UPDATE call_participants SET user_id = ?, recorded = TRUE WHERE tenant_id = ? AND aor = ? AND user_id = '' AND call_id IN `+in, pargs...); err != nil {
			return nil, fmt.Errorf("store: assign calls: %w", err)
		}
	}
	return ids, nil
}
