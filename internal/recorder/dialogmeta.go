package recorder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"callrec/internal/extension"
	"callrec/internal/siprec"
	"callrec/internal/store"
)

// What a SIPREC session says about its call changes over the dialog: a
// re-INVITE or UPDATE may rename a participant (a caller-ID update), add
// or drop one (a transfer, a conference), move a stream to another
// participant, or hold a stream. The session keeps the participants with
// the times they joined and left, each stream's states over time, and a
// log of the changes; siprecFile in the spool holds the latest, so it
// survives a database outage and reaches the row when the call ends.
const siprecFile = "siprec.json"

// maxCallParticipants bounds the participants one call keeps over its
// life: a conference's joiners beyond it are counted, not kept.
const maxCallParticipants = 1000

// spooledSIPREC is siprecFile's content.
type spooledSIPREC struct {
	Participants []store.CallParticipant `json:"participants"`
	Detail       store.CallSIPREC        `json:"detail"`
}

// offsetMS is how far into the call t is.
func (s *session) offsetMS(t time.Time) int64 { return max(t.Sub(s.start).Milliseconds(), 0) }

// codecName names a stream's codec as an SDP rtpmap does.
func codecName(f siprec.Format) string {
	if f.Name == "" {
		return ""
	}
	return strings.ToUpper(f.Name) + "/" + strconv.Itoa(f.ClockRate)
}

// streamState is the state a stream's offer puts it in.
func streamState(m siprec.Media) string {
	if m.Port == 0 {
		return string(siprec.Inactive)
	}
	if m.Direction == "" {
		return "sendrecv"
	}
	return string(m.Direction)
}

// noteStream records slot i of the session as the detail's stream i, or
// a new state of it when the offer changed its direction. Called with s.mu held.
func (s *session) noteStream(i int, sl *slot, at int64) {
	state := streamState(sl.media)
	if !sl.accepted() {
		state = "rejected"
	}
	if i == len(s.detail.Streams) {
		cs := store.CallStream{Label: sl.media.Label, Accepted: sl.accepted(), States: []store.StreamState{{AtMS: at, State: state}}}
		if sl.accepted() {
			cs.Codec = codecName(sl.answer.Codec)
		}
		s.detail.Streams = append(s.detail.Streams, cs)
		if at > 0 {
			s.logChange(store.CallChange{AtMS: at, Kind: "stream", Detail: "stream " + labelOr(sl.media.Label, i) + " added: " + state})
		}
		return
	}
	cs := &s.detail.Streams[i]
	if last := cs.States[len(cs.States)-1]; last.State != state {
		cs.States = append(cs.States, store.StreamState{AtMS: at, State: state})
		s.logChange(store.CallChange{AtMS: at, Kind: "stream", Detail: "stream " + labelOr(cs.Label, i) + ": " + last.State + " → " + state})
	}
}

func labelOr(label string, i int) string {
	if label != "" {
		return label
	}
	return "#" + strconv.Itoa(i+1)
}

func (sl *slot) accepted() bool { return sl.stream != nil }

// mapStreams names each stream's metadata id and sender from the session's
// metadata. Called with s.mu held.
func (s *session) mapStreams() {
	if s.md == nil {
		return
	}
	for i := range s.detail.Streams {
		cs := &s.detail.Streams[i]
		for _, st := range s.md.Streams {
			if st.Label == cs.Label && cs.Label != "" {
				cs.StreamID = st.ID
			}
		}
		if p, ok := s.md.ParticipantFor(cs.Label); ok {
			cs.ParticipantID = p.ID
		}
	}
}

func (s *session) logChange(c store.CallChange) {
	s.detail.Changes = append(s.detail.Changes, c)
	s.changed = true
}

// newParticipants lists the participants of md the session does not know
// yet, so their owners can be looked up before the session is locked.
func (s *session) newParticipants(md *siprec.Metadata) []siprec.Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []siprec.Participant
	for _, p := range md.Participants {
		if !slices.ContainsFunc(s.parts, func(cp store.CallParticipant) bool { return cp.ParticipantID == p.ID }) {
			out = append(out, p)
		}
	}
	return out
}

// ownersOf matches participants new to the call to the tenant's users by
// their identities; a database that does not answer leaves them unmatched
// (the recording goes on, and the log says so).
func (r *Recorder) ownersOf(ctx context.Context, tenantID string, ps []siprec.Participant) map[string]string {
	owners := map[string]string{}
	if len(ps) == 0 {
		return owners
	}
	ctx, cancel := context.WithTimeout(ctx, dbWait)
	defer cancel()
	for _, p := range ps {
		uid, err := r.matchUser(ctx, tenantID, p)
		if err != nil {
			r.log.Warn("recorder: a participant who joined could not be matched to a user", "err", err)
			return owners
		}
		if uid != "" {
			owners[p.ID] = uid
		}
	}
	return owners
}

// applyMetadata merges a re-INVITE's or UPDATE's metadata into the
// session: names and identities change, new participants join at, those
// a complete document leaves out or that are disassociated leave at, and
// streams are mapped anew. owners are the users of new participants.
// Called with s.mu held.
func (s *session) applyMetadata(md siprec.Metadata, at int64, owners map[string]string) {
	seen := map[string]bool{}
	for _, p := range md.Participants {
		seen[p.ID] = true
		i := slices.IndexFunc(s.parts, func(cp store.CallParticipant) bool { return cp.ParticipantID == p.ID })
		if i < 0 {
			if len(s.parts) >= maxCallParticipants {
				s.dropped++
				continue
			}
			cp := store.CallParticipant{ParticipantID: p.ID, Name: p.Name, AORs: slices.Clone(p.AORs), UserID: owners[p.ID], JoinedMS: at}
			if len(p.AORs) > 0 {
				cp.AOR = p.AORs[0]
			}
			s.parts = append(s.parts, cp)
			s.logChange(store.CallChange{AtMS: at, Kind: "joined", ParticipantID: p.ID, Detail: partyLabel(cp)})
			continue
		}
		cp := &s.parts[i]
		if cp.LeftMS != nil {
			cp.LeftMS = nil
			s.logChange(store.CallChange{AtMS: at, Kind: "joined", ParticipantID: p.ID, Detail: partyLabel(*cp) + " rejoined"})
		}
		if p.Name != "" && p.Name != cp.Name {
			s.logChange(store.CallChange{AtMS: at, Kind: "renamed", ParticipantID: p.ID, Detail: fmt.Sprintf("%q → %q", cp.Name, p.Name)})
			cp.Name = p.Name
		}
		var added []string
		for _, a := range p.AORs {
			if !slices.Contains(cp.AORs, a) && len(cp.AORs) < 16 {
				cp.AORs = append(cp.AORs, a)
				added = append(added, a)
			}
		}
		if len(added) > 0 {
			if cp.AOR == "" {
				cp.AOR = cp.AORs[0]
			}
			s.logChange(store.CallChange{AtMS: at, Kind: "identities", ParticipantID: p.ID, Detail: strings.Join(added, ", ")})
		}
	}
	for i := range s.parts {
		cp := &s.parts[i]
		gone := slices.Contains(md.Departed, cp.ParticipantID) || (md.DataMode != siprec.DataModePartial && !seen[cp.ParticipantID])
		if gone && cp.LeftMS == nil {
			left := at
			cp.LeftMS = &left
			s.logChange(store.CallChange{AtMS: at, Kind: "left", ParticipantID: cp.ParticipantID, Detail: partyLabel(*cp)})
		}
	}
	s.md = mergeMetadata(s.md, md)
	s.mapStreams()
}

// mergeMetadata is the session's metadata after an update: a complete
// document replaces it; a partial one updates the streams and
// participants it names.
func mergeMetadata(cur *siprec.Metadata, md siprec.Metadata) *siprec.Metadata {
	if cur == nil || md.DataMode != siprec.DataModePartial {
		if cur != nil && md.SessionID == "" {
			md.SessionID = cur.SessionID
		}
		return &md
	}
	next := *cur
	next.Streams = slices.Clone(cur.Streams)
	next.Participants = slices.Clone(cur.Participants)
	for _, st := range md.Streams {
		if i := slices.IndexFunc(next.Streams, func(x siprec.Stream) bool { return x.ID == st.ID }); i >= 0 {
			next.Streams[i] = st
		} else if len(next.Streams) < 64 {
			next.Streams = append(next.Streams, st)
		}
	}
	for _, p := range md.Participants {
		i := slices.IndexFunc(next.Participants, func(x siprec.Participant) bool { return x.ID == p.ID })
		switch {
		case i < 0 && len(next.Participants) < maxCallParticipants:
			next.Participants = append(next.Participants, p)
		case i >= 0:
			old := next.Participants[i]
			if len(p.Send) == 0 && len(p.Recv) == 0 {
				p.Send, p.Recv = old.Send, old.Recv
			}
			if p.Name == "" {
				p.Name = old.Name
			}
			next.Participants[i] = p
		}
	}
	return &next
}

// snapshot is what the session's SIPREC detail is now. Called with s.mu held.
func (s *session) snapshot() spooledSIPREC {
	d := store.CallSIPREC{Streams: make([]store.CallStream, len(s.detail.Streams)), Changes: slices.Clone(s.detail.Changes)}
	for i, st := range s.detail.Streams {
		st.States = slices.Clone(st.States)
		d.Streams[i] = st
	}
	if s.dropped > 0 {
		d.Changes = append(d.Changes, store.CallChange{Kind: "joined", Detail: fmt.Sprintf("%d more participants joined than a call keeps (%d)", s.dropped, maxCallParticipants)})
	}
	parts := make([]store.CallParticipant, len(s.parts))
	for i, p := range s.parts {
		p.AORs = slices.Clone(p.AORs)
		parts[i] = p
	}
	return spooledSIPREC{Participants: parts, Detail: d}
}

// saveSIPREC keeps a session's detail in its spool and, when the database
// answers, in its row; the end of the call writes it again in any case.
func (r *Recorder) saveSIPREC(ctx context.Context, s *session, snap spooledSIPREC) {
	if err := writeJSONFile(filepath.Join(s.dir, siprecFile), snap, false); err != nil {
		r.log.Error("recorder: spool SIPREC detail", "call", s.call.ID, "err", err)
	}
	if s.rowPending.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbWait)
	defer cancel()
	if err := r.db.SetCallSIPREC(ctx, s.call.TenantID, s.call.ID, snap.Participants, snap.Detail); err != nil {
		r.log.Warn("recorder: call's SIPREC detail not stored yet; it is at the call's end", "call", s.call.ID, "err", err)
	}
}

// readSpooledSIPREC reads a spool's latest SIPREC detail; ok is false
// when the call had none (a spool from before it existed).
func readSpooledSIPREC(dir string) (spooledSIPREC, bool) {
	var sp spooledSIPREC
	if err := readJSONFile(filepath.Join(dir, siprecFile), &sp); err != nil {
		return sp, false
	}
	return sp, true
}

// sameConversationWindow is how far apart the SBC's and the media edge's
// forks of one call may start.
const sameConversationWindow = time.Minute

// sameConversation finds a live recording of the user from the other kind
// of source (the SBC for a media-edge session, the media edge for an SBC
// one) that started within sameConversationWindow and shares an outside
// party's address (in any spelling): the same Teams call forked twice.
// "" when there is none or the database does not say.
func (r *Recorder) sameConversation(ctx context.Context, tenantID, userID string, fromEdge bool, parts []store.CallParticipant) string {
	mine := map[string]bool{}
	for _, p := range parts {
		if p.UserID != "" {
			continue
		}
		for _, a := range append([]string{p.AOR}, p.AORs...) {
			for _, c := range extension.Candidates(a) {
				mine[c] = true
			}
		}
	}
	if len(mine) == 0 {
		return ""
	}
	live, err := r.db.Q().LiveRecordingsOf(ctx, tenantID, userID, r.db.Now().Add(-sameConversationWindow), !fromEdge)
	if err != nil {
		r.log.Warn("recorder: could not look for the same call from another source", "err", err)
		return ""
	}
	for _, lp := range live {
		for _, c := range extension.Candidates(lp.AOR) {
			if mine[c] {
				return lp.CallID
			}
		}
	}
	return ""
}

// linkToChain points a later Teams leg's row at its chain's recording,
// when that recording's INVITE came after this leg's. A link that cannot
// be made is logged: it only joins two rows, no audio depends on it.
func (r *Recorder) linkToChain(ctx context.Context, s *session) {
	ctx, cancel := context.WithTimeout(ctx, dbWait)
	defer cancel()
	q := r.db.Q()
	id, err := q.EdgeCallOf(ctx, s.call.TenantID, s.recordedBy)
	if err == nil {
		err = q.SetCallLink(ctx, s.call.TenantID, s.call.ID, id)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		r.log.Warn("recorder: Teams leg not linked to its chain's recording", "call", s.call.ID, "err", err)
	}
}
