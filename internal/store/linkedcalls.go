package store

import (
	"context"
	"fmt"
	"time"
)

// LiveParty is an address without a user on a live recorded call: what
// tells two recordings of the same conversation apart from two calls.
type LiveParty struct {
	CallID string
	AOR    string
}

// LiveRecordingsOf lists the addresses (without a user) of the user's
// live, recorded calls started since the time given that no other call
// duplicates, from the media edge (fromEdge: sip_source_id empty) or from
// a registered SIPREC source.
func (q Q) LiveRecordingsOf(ctx context.Context, tenantID, userID string, since time.Time, fromEdge bool) ([]LiveParty, error) {
	kind := "c.sip_source_id <> ''"
	if fromEdge {
		kind = "c.sip_source_id = ''"
	}
	rows, err := q.query(ctx, `SELECT c.id, p.aor FROM calls c
		JOIN call_participants p ON p.tenant_id = c.tenant_id AND p.call_id = c.id
		WHERE c.tenant_id = ? AND c.recorded_user_id = ? AND c.state = ? AND c.recorded = ? AND c.linked_call_id = ''
		AND c.started_at >= ? AND `+kind+` AND p.user_id = '' AND p.aor <> ''
		ORDER BY c.started_at, c.id LIMIT 200`, tenantID, userID, CallActive, true, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("store: live recordings: %w", err)
	}
	defer rows.Close()
	var out []LiveParty
	for rows.Next() {
		var p LiveParty
		if err := rows.Scan(&p.CallID, &p.AOR); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CallsLinkedTo lists the calls that duplicate the given one.
func (q Q) CallsLinkedTo(ctx context.Context, tenantID, callID string) ([]string, error) {
	return q.userStrings(ctx, `SELECT id FROM calls WHERE tenant_id = ? AND linked_call_id = ? ORDER BY started_at, id`, tenantID, callID)
}

// EdgeCallOf returns the id of the media edge's recording of a Teams leg
// (the call whose vendor id is the leg's Graph call id); "" if none.
func (q Q) EdgeCallOf(ctx context.Context, tenantID, graphCallID string) (string, error) {
	var id string
	err := q.row(ctx, `SELECT id FROM calls WHERE tenant_id = ? AND external_call_id = ? AND sip_source_id = '' AND linked_call_id = ''
		ORDER BY started_at LIMIT 1`, tenantID, graphCallID).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("store: edge call: %w", mapErr(err))
	}
	return id, nil
}

// SetCallLink points a call at the recording it duplicates.
func (q Q) SetCallLink(ctx context.Context, tenantID, callID, linkedID string) error {
	err := affectedOne(q.exec(ctx, `UPDATE calls SET linked_call_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND id <> ?`,
		linkedID, q.Now(), tenantID, callID, linkedID))
	if err != nil {
		return fmt.Errorf("store: link call: %w", err)
	}
	return nil
}
