package store

import (
	"context"
	"database/sql"
	"fmt"
)

// NodePause is a paused span of a call that a recorder node is recording.
type NodePause struct {
	TenantID string
	CallID   string
	StartMS  int64
	EndMS    *int64 // nil while the pause lasts
}

// NodePauses lists every pause span, open or closed, of the calls active on
// a recorder node, across tenants: the node polls it to keep paused calls
// silent, wherever the pause was asked for. It seeks calls_node_state.
func (q Q) NodePauses(ctx context.Context, node string) ([]NodePause, error) {
	rows, err := q.query(ctx, `SELECT p.tenant_id, p.call_id, p.start_ms, p.end_ms
		FROM calls c JOIN call_pauses p ON p.tenant_id = c.tenant_id AND p.call_id = c.id
		WHERE c.recorder_node = ? AND c.state = ? ORDER BY p.call_id, p.start_ms`, node, CallActive)
	if err != nil {
		return nil, fmt.Errorf("store: node pauses: %w", err)
	}
	defer rows.Close()
	var out []NodePause
	for rows.Next() {
		var p NodePause
		var end sql.NullInt64
		if err := rows.Scan(&p.TenantID, &p.CallID, &p.StartMS, &end); err != nil {
			return nil, fmt.Errorf("store: node pauses: %w", mapErr(err))
		}
		if end.Valid {
			p.EndMS = &end.Int64
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
