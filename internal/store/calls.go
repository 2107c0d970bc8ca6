package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Call states.
const (
	CallActive      = "active"
	CallCompleted   = "completed"
	CallInterrupted = "interrupted"
	CallFailed      = "failed"
)

// Call is one recorded (or deliberately not recorded) call.
type Call struct {
	ID             string     `json:"id"`
	TenantID       string     `json:"tenant_id"`
	SIPSourceID    string     `json:"sip_source_id"`
	State          string     `json:"state"`
	Direction      string     `json:"direction"`
	StartedAt      time.Time  `json:"started_at"`
	EndedAt        *time.Time `json:"ended_at"`
	DurationMS     int64      `json:"duration_ms"`
	SizeBytes      int64      `json:"size_bytes"`
	SHA256         string     `json:"sha256"`
	BlobKey        string     `json:"-"`
	AudioFormat    string     `json:"audio_format"`
	RecorderNode   string     `json:"recorder_node"`
	Recorded       bool       `json:"recorded"`
	DecisionReason string     `json:"decision_reason"`
	Confidential   bool       `json:"confidential"`
	ExpiresAt      *time.Time `json:"expires_at"`
	RecordedUserID string     `json:"recorded_user_id"`
	SIPCallID      string     `json:"sip_call_id"`
	SessionID      string     `json:"session_id"`
	ExternalCallID string     `json:"external_call_id"`
	Caller         string     `json:"caller"`
	Callee         string     `json:"callee"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Media is what the recorder received, nil until the call ends.
	Media *CallMedia `json:"media"`

	Participants []CallParticipant `json:"participants,omitempty"`
	// SIPREC is the session's streams and changes (GetCall; nil for a
	// call without them).
	SIPREC *CallSIPREC `json:"siprec,omitempty"`
	// LinkedCallID is the recording this call duplicates (the same Teams
	// call forked by the SBC and by the media edge), "" for most calls.
	LinkedCallID string `json:"linked_call_id,omitempty"`
}

// CallMedia is what the recorder's RTP edge saw of a call, summed over its
// streams. New fields (per-stream detail) may be added; none is removed.
type CallMedia struct {
	// Packets taken into the recording, and lost by sequence number.
	Packets int64 `json:"packets"`
	Lost    int64 `json:"lost"`
	// RejectedPackets were dropped: from another source than the one the
	// SDP named (or the stream latched to), or SRTP that did not
	// authenticate or replayed a packet.
	RejectedPackets int64 `json:"rejected_packets"`
	// SRTP is true when every stream the recorder took was SRTP.
	SRTP bool `json:"srtp"`
}

// CallParticipant is a party of a call, matched to a user when possible.
type CallParticipant struct {
	Position      int    `json:"-"`
	ParticipantID string `json:"participant_id"`
	Name          string `json:"name"`
	AOR           string `json:"aor"` // the first of AORs: the one a user is matched by first
	UserID        string `json:"user_id"`
	Recorded      bool   `json:"recorded"`
	// AORs are all the participant's identities (nameIDs), in the
	// metadata's order.
	AORs []string `json:"aors,omitempty"`
	// JoinedMS and LeftMS are offsets from the call's start; LeftMS is nil
	// while the participant is on the call.
	JoinedMS int64  `json:"joined_ms"`
	LeftMS   *int64 `json:"left_ms,omitempty"`
}

// CallSIPREC is what a SIPREC session's SDP and metadata told about the
// call beyond its participants.
type CallSIPREC struct {
	Streams []CallStream `json:"streams"`
	Changes []CallChange `json:"changes"`
}

// CallStream is one offered m= line of the recording session.
type CallStream struct {
	StreamID string `json:"stream_id,omitempty"` // the metadata's stream id
	Label    string `json:"label"`
	Codec    string `json:"codec"` // e.g. PCMU/8000, "" when none was usable
	Accepted bool   `json:"accepted"`
	// ParticipantID is who sends the stream, when the metadata says.
	ParticipantID string        `json:"participant_id,omitempty"`
	States        []StreamState `json:"states"`
}

// StreamState is a stream's direction from AtMS on: sendonly, sendrecv,
// recvonly or inactive (held), as the SRC offered it.
type StreamState struct {
	AtMS  int64  `json:"at_ms"`
	State string `json:"state"`
}

// CallChange is one change the metadata or SDP made during the call.
type CallChange struct {
	AtMS          int64  `json:"at_ms"`
	Kind          string `json:"kind"` // joined, left, renamed, identities, stream
	ParticipantID string `json:"participant_id,omitempty"`
	Detail        string `json:"detail,omitempty"`
}

// maxCallChanges bounds the change log a call keeps; a session that
// changes more often keeps its first changes and a count of the rest.
const maxCallChanges = 500

const callCols = `id, tenant_id, sip_source_id, state, direction, started_at, ended_at, duration_ms, size_bytes, sha256, blob_key,
	audio_format, recorder_node, recorded, decision_reason, confidential, expires_at, recorded_user_id, sip_call_id, session_id,
	external_call_id, caller, callee, created_at, updated_at, media`

func scanCall(s interface{ Scan(...any) error }) (Call, error) {
	var c Call
	var ended, expires sql.NullTime
	var media sql.NullString
	err := s.Scan(&c.ID, &c.TenantID, &c.SIPSourceID, &c.State, &c.Direction, &c.StartedAt, &ended, &c.DurationMS, &c.SizeBytes,
		&c.SHA256, &c.BlobKey, &c.AudioFormat, &c.RecorderNode, &c.Recorded, &c.DecisionReason, &c.Confidential, &expires,
		&c.RecordedUserID, &c.SIPCallID, &c.SessionID, &c.ExternalCallID, &c.Caller, &c.Callee, &c.CreatedAt, &c.UpdatedAt, &media)
	c.EndedAt, c.ExpiresAt, c.Media = timePtr(ended), timePtr(expires), callMedia(media)
	c.StartedAt, c.CreatedAt, c.UpdatedAt = c.StartedAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, mapErr(err)
}

// callMedia reads the media column; a value it cannot read is left out
// rather than failing the call's page.
func callMedia(s sql.NullString) *CallMedia {
	if !s.Valid || s.String == "" {
		return nil
	}
	var m CallMedia
	if json.Unmarshal([]byte(s.String), &m) != nil {
		return nil
	}
	return &m
}

// mediaColumn is m as the media column stores it.
func mediaColumn(m *CallMedia) (sql.NullString, error) {
	if m == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("store: call media: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// InsertCall stores a call and its participants, as the recorder does at INVITE.
func (q Q) InsertCall(ctx context.Context, c Call) error {
	media, err := mediaColumn(c.Media)
	if err != nil {
		return err
	}
	detail, err := siprecColumn(c.SIPREC)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO calls (`+callCols+`, siprec, linked_call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.TenantID, c.SIPSourceID, c.State, c.Direction, c.StartedAt, nullTime(c.EndedAt), c.DurationMS, c.SizeBytes,
		c.SHA256, c.BlobKey, c.AudioFormat, c.RecorderNode, c.Recorded, c.DecisionReason, c.Confidential, nullTime(c.ExpiresAt),
		c.RecordedUserID, c.SIPCallID, c.SessionID, c.ExternalCallID, c.Caller, c.Callee, c.CreatedAt, c.UpdatedAt, media, detail, c.LinkedCallID)
	if err != nil {
		return fmt.Errorf("store: insert call: %w", err)
	}
	return q.insertParticipants(ctx, c.TenantID, c.ID, c.Participants)
}

func (q Q) insertParticipants(ctx context.Context, tenantID, callID string, parts []CallParticipant) error {
	for i, p := range parts {
		aors, err := json.Marshal(p.AORs)
		if err != nil {
			return fmt.Errorf("store: call participant identities: %w", err)
		}
		if len(p.AORs) == 0 {
			aors = nil
		}
		_, err = q.exec(ctx, `INSERT INTO call_participants (tenant_id, call_id, position, participant_id, name, aor, user_id, recorded, aors, joined_ms, left_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tenantID, callID, i, p.ParticipantID, p.Name, p.AOR, p.UserID, p.Recorded,
			string(aors), p.JoinedMS, p.LeftMS)
		if err != nil {
			return fmt.Errorf("store: insert call participant: %w", err)
		}
	}
	return nil
}

// SetCallSIPREC replaces what the call's SIPREC session said: its
// participants (with identities and times) and its streams and changes.
// The recorder calls it as the metadata changes and once more at the end.
func (db *DB) SetCallSIPREC(ctx context.Context, tenantID, callID string, parts []CallParticipant, detail CallSIPREC) error {
	col, err := siprecColumn(&detail)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(q Q) error {
		if err := affectedOne(q.exec(ctx, `UPDATE calls SET siprec = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			col, q.Now(), tenantID, callID)); err != nil {
			return fmt.Errorf("store: set call siprec: %w", err)
		}
		if _, err := q.exec(ctx, `DELETE FROM call_participants WHERE tenant_id = ? AND call_id = ?`, tenantID, callID); err != nil {
			return fmt.Errorf("store: replace call participants: %w", err)
		}
		return q.insertParticipants(ctx, tenantID, callID, parts)
	})
}

// siprecColumn is d as the siprec column stores it, its change log bounded.
func siprecColumn(d *CallSIPREC) (sql.NullString, error) {
	if d == nil {
		return sql.NullString{}, nil
	}
	if len(d.Changes) > maxCallChanges {
		c := *d
		c.Changes = c.Changes[:maxCallChanges]
		d = &c
	}
	b, err := json.Marshal(d)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("store: call siprec: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// callSIPREC reads the siprec column; a value it cannot read is left out
// rather than failing the call's page.
func callSIPREC(s sql.NullString) *CallSIPREC {
	if !s.Valid || s.String == "" {
		return nil
	}
	var d CallSIPREC
	if json.Unmarshal([]byte(s.String), &d) != nil {
		return nil
	}
	return &d
}

// withExtra scans a row's trailing columns into extra after the ones
// its scanner asks for.
type withExtra struct {
	s     interface{ Scan(...any) error }
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.s.Scan(append(dest, w.extra...)...) }

// EndCall records how a call ended: its state, end time, duration and
// what the recorder received (nil: not known).
func (q Q) EndCall(ctx context.Context, tenantID, id, state string, ended time.Time, durationMS int64, media *CallMedia) error {
	col, err := mediaColumn(media)
	if err != nil {
		return err
	}
	err = affectedOne(q.exec(ctx, `UPDATE calls SET state = ?, ended_at = ?, duration_ms = ?, media = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		state, ended, durationMS, col, q.Now(), tenantID, id))
	if err != nil {
		return fmt.Errorf("store: end call: %w", err)
	}
	return nil
}

// SetCallAudio records where a finished recording is stored.
func (q Q) SetCallAudio(ctx context.Context, tenantID, id, blobKey, format, sha string, size int64) error {
	err := affectedOne(q.exec(ctx, `UPDATE calls SET blob_key = ?, audio_format = ?, sha256 = ?, size_bytes = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		blobKey, format, sha, size, q.Now(), tenantID, id))
	if err != nil {
		return fmt.Errorf("store: set call audio: %w", err)
	}
	return nil
}

// GetCall returns a call of the tenant with its participants.
func (q Q) GetCall(ctx context.Context, tenantID, id string) (Call, error) {
	var detail sql.NullString
	var linked string
	c, err := scanCall(withExtra{q.row(ctx, `SELECT `+callCols+`, siprec, linked_call_id FROM calls WHERE tenant_id = ? AND id = ?`, tenantID, id),
		[]any{&detail, &linked}})
	if err != nil {
		return c, fmt.Errorf("store: get call: %w", err)
	}
	c.SIPREC, c.LinkedCallID = callSIPREC(detail), linked
	rows, err := q.query(ctx, `SELECT position, participant_id, name, aor, user_id, recorded, aors, joined_ms, left_ms FROM call_participants
		WHERE tenant_id = ? AND call_id = ? ORDER BY position`, tenantID, id)
	if err != nil {
		return c, fmt.Errorf("store: call participants: %w", err)
	}
	defer rows.Close()
	c.Participants = []CallParticipant{}
	for rows.Next() {
		var p CallParticipant
		var aors string
		var left sql.NullInt64
		if err := rows.Scan(&p.Position, &p.ParticipantID, &p.Name, &p.AOR, &p.UserID, &p.Recorded, &aors, &p.JoinedMS, &left); err != nil {
			return c, mapErr(err)
		}
		if aors != "" {
			_ = json.Unmarshal([]byte(aors), &p.AORs)
		}
		if left.Valid {
			p.LeftMS = &left.Int64
		}
		c.Participants = append(c.Participants, p)
	}
	return c, rows.Err()
}

// CallFilter narrows a call list. Empty fields do not filter.
type CallFilter struct {
	From, To *time.Time
	UserID   string
	State    string
	// UserIDs limits the list to calls of these users (a supervisor's
	// managed members); nil means no limit, empty means none.
	UserIDs      []string
	Confidential *bool
	Limit        int
	Cursor       string
}

// ListCalls returns one page of the tenant's calls, newest first.
func (q Q) ListCalls(ctx context.Context, tenantID string, f CallFilter) ([]Call, string, error) {
	where := []string{"tenant_id = ?"}
	args := []any{tenantID}
	if f.From != nil {
		where, args = append(where, "started_at >= ?"), append(args, f.From.UTC())
	}
	if f.To != nil {
		where, args = append(where, "started_at < ?"), append(args, f.To.UTC())
	}
	if f.UserID != "" {
		cond, a := listedUnder("calls", tenantID, []string{f.UserID})
		where, args = append(where, cond), append(args, a...)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Confidential != nil {
		where, args = append(where, "confidential = ?"), append(args, *f.Confidential)
	}
	if f.UserIDs != nil {
		if len(f.UserIDs) == 0 {
			return []Call{}, "", nil
		}
		cond, a := listedUnder("calls", tenantID, f.UserIDs)
		where, args = append(where, cond), append(args, a...)
	}
	if f.Cursor != "" {
		key, id, ok := DecodeCursor(f.Cursor)
		t, err := time.Parse(time.RFC3339Nano, key)
		if !ok || err != nil {
			return nil, "", fmt.Errorf("store: %w", ErrBadCursor)
		}
		where = append(where, "(started_at < ? OR (started_at = ? AND id < ?))")
		args = append(args, t, t, id)
	}
	limit := clampLimit(f.Limit)
	args = append(args, limit+1)
	rows, err := q.query(ctx, `SELECT `+callCols+` FROM calls WHERE `+strings.Join(where, " AND ")+
		` ORDER BY started_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list calls: %w", err)
	}
	defer rows.Close()
	out := []Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = EncodeCursor(last.StartedAt.Format(time.RFC3339Nano), last.ID)
	}
	return out, next, nil
}

// ActiveCallsOnNode lists the calls a recorder node left active, across
// tenants: after a crash the node turns each into an interrupted recording.
func (q Q) ActiveCallsOnNode(ctx context.Context, node string) ([]Call, error) {
	rows, err := q.query(ctx, `SELECT `+callCols+` FROM calls WHERE recorder_node = ? AND state = ?`, node, CallActive)
	if err != nil {
		return nil, fmt.Errorf("store: active calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ManagedMemberIDs lists the users in the groups the supervisor manages.
func (q Q) ManagedMemberIDs(ctx context.Context, tenantID, supervisorID string) ([]string, error) {
	return q.userStrings(ctx, `SELECT DISTINCT m.user_id FROM managed_groups g JOIN group_members m
		ON m.tenant_id = g.tenant_id AND m.group_id = g.group_id WHERE g.tenant_id = ? AND g.user_id = ?`, tenantID, supervisorID)
}

// ExtensionUsers maps those of the candidate extensions that the tenant's
// users have to the users' ids.
func (q Q) ExtensionUsers(ctx context.Context, tenantID string, candidates []string) (map[string]string, error) {
	out := map[string]string{}
	if len(candidates) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	for _, c := range candidates {
		args = append(args, c)
	}
	rows, err := q.query(ctx, `SELECT extension, user_id FROM user_extensions WHERE tenant_id = ? AND extension IN (?`+
		strings.Repeat(", ?", len(candidates)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: extension users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ext, uid string
		if err := rows.Scan(&ext, &uid); err != nil {
			return nil, mapErr(err)
		}
		out[ext] = uid
	}
	return out, rows.Err()
}

// RecorderNode is a recorder process as it registered itself: where web
// nodes reach its spool, and when it last said it was alive.
type RecorderNode struct {
	Node        string
	InternalURL string
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// UpsertRecorderNode registers a recorder node or refreshes its heartbeat.
// Not tenant data: a node records calls of every tenant.
func (q Q) UpsertRecorderNode(ctx context.Context, n RecorderNode) error {
	_, err := q.exec(ctx, `INSERT INTO recorder_nodes (node, internal_url, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (node) DO UPDATE SET internal_url = excluded.internal_url, heartbeat_at = excluded.heartbeat_at`,
		n.Node, n.InternalURL, n.StartedAt.UTC(), n.HeartbeatAt.UTC())
	if err != nil {
		return fmt.Errorf("store: register recorder node: %w", err)
	}
	return nil
}

// GetRecorderNode returns a registered node, or ErrNotFound.
func (q Q) GetRecorderNode(ctx context.Context, node string) (RecorderNode, error) {
	var n RecorderNode
	err := mapErr(q.row(ctx, `SELECT node, internal_url, started_at, heartbeat_at FROM recorder_nodes WHERE node = ?`, node).
		Scan(&n.Node, &n.InternalURL, &n.StartedAt, &n.HeartbeatAt))
	if err != nil {
		return n, fmt.Errorf("store: recorder node: %w", err)
	}
	return n, nil
}

// DeleteRecorderNode removes a node that stopped, so web nodes stop asking it.
func (q Q) DeleteRecorderNode(ctx context.Context, node string) error {
	if _, err := q.exec(ctx, `DELETE FROM recorder_nodes WHERE node = ?`, node); err != nil {
		return fmt.Errorf("store: delete recorder node: %w", err)
	}
	return nil
}

// ClusterSecret returns the installation's secret called name, storing
// candidate first if there is none yet: the first node to ask sets it.
func (q Q) ClusterSecret(ctx context.Context, name, candidate string) (string, error) {
	if _, err := q.exec(ctx, `INSERT INTO cluster_secrets (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, candidate, q.Now()); err != nil {
		return "", fmt.Errorf("store: cluster secret: %w", err)
	}
	var s string
	if err := mapErr(q.row(ctx, `SELECT secret FROM cluster_secrets WHERE name = ?`, name).Scan(&s)); err != nil {
		return "", fmt.Errorf("store: cluster secret: %w", err)
	}
	return s, nil
}
