package recorder

import (
	"context"
	"fmt"
	"slices"

	"callrec/internal/extension"
	"callrec/internal/policy"
	"callrec/internal/siprec"
	"callrec/internal/store"
)

// decision says whether to record and why.
type decision struct {
	record       bool
	onDemand     bool // recorded silent from the start until started (policy.Decision)
	reason       string
	user         store.User
	participant  int // index of the recorded participant, -1 if none
	direction    string
	confidential bool
}

// decide matches participants to the tenant's users and applies the first
// matched user's rules. The first participant of the metadata is taken as
// the caller, unless a vendor extension states the direction. tenantRule
// is the tenant's default rule.
func (r *Recorder) decide(ctx context.Context, tenantID, tenantRule string, md *siprec.Metadata) (decision, []store.CallParticipant, error) {
	d := decision{participant: -1, reason: "no participant matches a user's extension"}
	var parts []store.CallParticipant
	if md == nil {
		return decision{participant: -1, reason: "no recording metadata: participants unknown"}, nil, nil
	}
	q := r.db.Q()
	for i, p := range md.Participants {
		cp := store.CallParticipant{ParticipantID: p.ID, Name: p.Name, AORs: slices.Clone(p.AORs)}
		if len(p.AORs) > 0 {
			cp.AOR = p.AORs[0]
		}
		uid, err := r.matchUser(ctx, tenantID, p)
		if err != nil {
			return d, nil, err
		}
		cp.UserID = uid
		parts = append(parts, cp)
		if cp.UserID != "" && d.participant < 0 {
			u, err := q.GetUser(ctx, tenantID, cp.UserID)
			if err != nil {
				return d, nil, fmt.Errorf("recorder: load user: %w", err)
			}
			d.user, d.participant = u, i
		}
	}
	if d.participant < 0 {
		return d, parts, nil
	}
	d.direction = md.Direction
	if d.direction == "" {
		d.direction = "inbound"
		if d.participant == 0 {
			d.direction = "outbound"
		}
	}
	pd := policy.Decide(d.user, d.direction, tenantRule)
	d.record, d.onDemand, d.reason = pd.Record, pd.OnDemand, pd.Reason
	d.confidential = d.user.Confidential
	parts[d.participant].Recorded = d.record
	return d, parts, nil
}

// matchUser returns the tenant's user one of the participant's identities
// is an extension of, trying them in the metadata's order; "" if none.
func (r *Recorder) matchUser(ctx context.Context, tenantID string, p siprec.Participant) (string, error) {
	var cands []string
	for _, a := range p.AORs {
		cands = append(cands, extension.Candidates(a)...)
	}
	if len(cands) == 0 {
		return "", nil
	}
	owners, err := r.db.Q().ExtensionUsers(ctx, tenantID, cands)
	if err != nil {
		return "", fmt.Errorf("recorder: match participants: %w", err)
	}
	for _, a := range p.AORs {
		for _, c := range extension.Candidates(a) {
			if uid, ok := owners[c]; ok {
				return uid, nil
			}
		}
	}
	return "", nil
}
