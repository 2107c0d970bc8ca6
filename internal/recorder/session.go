package recorder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"callrec/internal/media"
	"callrec/internal/siprec"
	"callrec/internal/sipsource"
	"callrec/internal/store"
)

// session is one live recording session.
type session struct {
	call   store.Call
	dir    string
	start  time.Time
	md     *siprec.Metadata
	record bool
	// recordedPID is the metadata id of the recorded participant, "" if none.
	recordedPID string
	// recordedBy is the Graph call id of the Teams leg that records this
	// session's conversation, while the link to its call is not made yet.
	recordedBy string
	// dialog and sourceAddr (the registered source's IP or CIDR, "" for a
	// media edge's session) decide which in-dialog requests are its own.
	dialog     siprec.Dialog
	sourceAddr string

	// rowPending: the database was down at INVITE and the call row is not
	// written yet (the spool has rowPendingFile).
	rowPending atomic.Bool

	// held: recording is paused (pause.go); spans as last spooled.
	held  atomic.Bool
	spans []pauseSpan
	// tap is what live listeners hear (tap.go).
	tap tap

	mu      sync.Mutex
	streams []*slot
	version uint64
	// parts, detail: what the dialog's metadata and SDP said, over time
	// (dialogmeta.go); changed since last saved; dropped participants
	// beyond maxCallParticipants.
	parts   []store.CallParticipant
	detail  store.CallSIPREC
	changed bool
	dropped int
}

// slot is one offered m= line and what the recorder made of it.
type slot struct {
	media  siprec.Media
	answer siprec.AnswerMedia
	side   int
	stream *media.Stream
	// offered is the source the SDP named (c= and m= port), srtp whether
	// the stream is SRTP (edge.go).
	offered netip.AddrPort
	srtp    bool
}

func (s *session) idle() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	idle := time.Duration(-1)
	for _, sl := range s.streams {
		if sl.stream == nil {
			continue
		}
		if d := sl.stream.Idle(); idle < 0 || d < idle {
			idle = d
		}
	}
	return max(idle, 0)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start takes a new recording session (siprec.Handler).
func (r *Recorder) Start(ctx context.Context, o siprec.Offer) ([]byte, error) {
	r.mu.Lock()
	_, dup := r.sessions[o.CallID]
	busy := len(r.sessions) >= r.cfg.MaxCalls
	r.mu.Unlock()
	if dup {
		return nil, &siprec.Reject{Code: 482, Reason: "Loop Detected"}
	}
	if busy {
		return nil, &siprec.Reject{Code: 503, Reason: "Service Unavailable", RetryAfter: 5}
	}
	sources, err := r.sourcesNow(ctx)
	if err != nil {
		return nil, &siprec.Reject{Code: 503, Reason: "Database Unavailable", RetryAfter: 5}
	}
	adm, err := r.admit(ctx, o.Metadata)
	if err != nil {
		return nil, err
	}
	src, err := r.sourceFor(ctx, o, sources, adm)
	if err != nil {
		return nil, err
	}
	if err := checkOffer(o.SDP); err != nil {
		return nil, err
	}
	// A database outage delays the call row but never drops a recording:
	// answer within dbWait, record, and write the row when it is back.
	dbctx, cancel := context.WithTimeout(ctx, dbWait)
	defer cancel()
	tenant, err := r.db.Q().GetTenant(dbctx, src.TenantID)
	if err := r.load.reserve(src.TenantID, tenant.MaxCalls, err == nil); err != nil {
		return nil, err
	}
	admitted := false
	defer func() {
		if !admitted {
			r.load.release(src.TenantID)
		}
	}()
	var d decision
	var parts []store.CallParticipant
	if err == nil {
		d, parts, err = r.decide(dbctx, src.TenantID, tenant.DefaultRecord, o.Metadata)
	}
	dbErr := err
	if dbErr != nil {
		r.log.Warn("recorder: database unavailable at INVITE; recording anyway, the row follows when it is back", "call_id", o.CallID, "err", dbErr)
		d, parts = decision{record: true, participant: -1, reason: reasonDBDown}, nil
	}
	if dbErr == nil && adm == nil && d.participant < 0 && src.Unmatched != store.UnmatchedMetadata {
		// The SBC chose to fork the call: keep it, for an admin to assign.
		d.record, d.reason = true, d.reason+"; recorded as Unassigned"
	}
	if adm != nil {
		d.direction, d.record, d.reason, d.onDemand = adm.Direction, adm.Record, adm.Reason, false
		if d.participant >= 0 {
			parts[d.participant].Recorded = adm.Record
		}
		if adm.UserID == "" && !adm.Record {
			// The bot attributes this session to no one: a leg whose call
			// another leg already records (its users see that recording),
			// or an observed party who is not a directory user.
			d.user, d.confidential = store.User{}, false
		}
	}
	var linked string
	if dbErr == nil && adm != nil && adm.RecordedBy != "" {
		// A later leg of a Teams chain: point at the chain's recording.
		linked, _ = r.db.Q().EdgeCallOf(dbctx, src.TenantID, adm.RecordedBy)
	}
	if dbErr == nil && d.record && d.user.ID != "" {
		linked = r.sameConversation(dbctx, src.TenantID, d.user.ID, adm != nil, parts)
		if linked != "" {
			// The SBC and the Teams media edge both fork this user's call:
			// the first keeps the audio, this one only points to it.
			by := "the Teams media edge"
			if adm != nil {
				by = "the SBC"
			}
			d.record, d.reason = false, "the same call is recorded from "+by+" (call "+linked+")"
			if d.participant >= 0 {
				parts[d.participant].Recorded = false
			}
		}
	}
	now := r.db.Now()
	var expires *time.Time
	if dbErr == nil {
		e := now.AddDate(0, 0, tenant.RetentionDays)
		expires = &e
	}
	call := store.Call{ID: newID(), TenantID: src.TenantID, SIPSourceID: src.ID, State: store.CallActive, Direction: d.direction,
		StartedAt: now, RecorderNode: r.cfg.Node, Recorded: d.record, DecisionReason: d.reason, Confidential: d.confidential,
		ExpiresAt: expires, RecordedUserID: d.user.ID, SIPCallID: o.CallID, Caller: o.From, Callee: o.To,
		CreatedAt: now, UpdatedAt: now, Participants: parts, LinkedCallID: linked}
	if o.Metadata != nil {
		call.SessionID, call.ExternalCallID = o.Metadata.SessionID, o.Metadata.ExternalCallID
	}
	if call.ExternalCallID == "" {
		call.ExternalCallID = o.HeaderCallID
	}
	if caller, callee, ok := callParties(parts, d); ok {
		call.Caller, call.Callee = caller, callee
	}
	s := &session{call: call, dir: r.spoolPath(call.ID), start: r.now(), md: o.Metadata, record: d.record,
		dialog: o.Dialog, sourceAddr: src.Address, parts: slices.Clone(parts)}
	if d.participant >= 0 {
		s.recordedPID = parts[d.participant].ParticipantID
	}
	if adm != nil && linked == "" {
		s.recordedBy = adm.RecordedBy
	}
	if err := writeMeta(s); err != nil {
		return nil, err
	}
	if d.record && d.onDemand {
		// Silent from the first packet: held before any stream opens, and
		// the span spooled so the mix is silent even if the row is late.
		s.held.Store(true)
		if err := s.noteSpans([]pauseSpan{{StartMS: 0}}); err != nil {
			r.discard(s)
			return nil, err
		}
	}
	answer, err := r.openStreams(s, o.SDP, o.Source)
	if err != nil {
		r.discard(s)
		return nil, err
	}
	s.mu.Lock()
	snap := s.snapshot()
	s.mu.Unlock()
	call.SIPREC, call.Participants = &snap.Detail, snap.Participants
	if err := writeJSONFile(filepath.Join(s.dir, siprecFile), snap, false); err != nil {
		r.discard(s)
		return nil, err
	}
	if dbErr != nil || r.insertCall(dbctx, s.dir, call) != nil {
		if err := markRowPending(s.dir); err != nil {
			r.discard(s)
			return nil, err
		}
		s.rowPending.Store(true)
		go r.retryRow(s)
	}
	r.mu.Lock()
	r.sessions[o.CallID] = s
	r.mu.Unlock()
	admitted = true // the tenant's call slot is now the session's, released by Stop
	r.publish(ctx, call, "call.started")
	return answer, nil
}

// checkOffer answers 488 when the recorder takes no audio stream of the
// offer: none has a codec it decodes over a profile and keys it can use.
func checkOffer(sdp siprec.SDP) error {
	for _, m := range sdp.Media {
		if acceptable(m) {
			return nil
		}
	}
	return &siprec.Reject{Code: 488, Reason: "Not Acceptable Here"}
}

// openStreams binds a socket per accepted audio stream and builds the
// answer; signal is where the SIP request came from.
func (r *Recorder) openStreams(s *session, sdp siprec.SDP, signal netip.Addr) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var answers []siprec.AnswerMedia
	for i, m := range sdp.Media {
		sl := &slot{media: m, side: s.sideOf(m.Label, i)}
		sl.answer = siprec.AnswerMedia{Type: m.Type, Proto: m.Proto, Label: m.Label, Direction: siprec.RecvOnly}
		if len(m.Formats) > 0 {
			sl.answer.Codec = m.Formats[0]
		}
		if acceptable(m) {
			if err := r.openSlot(s, sl, len(s.streams), signal); err != nil {
				return nil, err
			}
		}
		if m.Direction == siprec.Inactive && sl.stream != nil {
			sl.answer.Direction = siprec.Inactive
			sl.stream.SetPaused(true)
		}
		s.noteStream(len(s.streams), sl, 0)
		s.streams = append(s.streams, sl)
		answers = append(answers, sl.answer)
	}
	s.mapStreams()
	s.version++
	return siprec.BuildAnswer(r.cfg.MediaIP, uint64(s.start.Unix()), s.version, answers), nil
}

// openSlot opens the stream of an acceptable m= line: its socket, track,
// peer and keys.
func (r *Recorder) openSlot(s *session, sl *slot, idx int, signal netip.Addr) error {
	f, dtmf, _ := sl.media.Choose()
	codec, err := media.CodecFor(f)
	if err != nil {
		return err
	}
	keys, ours, err := secure(sl.media, nil)
	if err != nil {
		return err
	}
	conn, err := r.ports.Listen()
	if err != nil {
		return &siprec.Reject{Code: 503, Reason: "No RTP Ports", RetryAfter: 5}
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	track, err := media.OpenTrack(filepath.Join(s.dir, trackName(idx, sl.side)))
	if err != nil {
		conn.Close()
		r.ports.Release(port)
		return err
	}
	dtmfPT := -1
	if dtmf != nil {
		dtmfPT = dtmf.PT
	}
	st, err := media.NewStream(conn, codec, dtmfPT, track, s.start, r.now)
	if err != nil {
		conn.Close()
		track.Close()
		r.ports.Release(port)
		return err
	}
	if s.streamPaused(false) {
		st.SetPaused(true)
	}
	st.SetPeer(media.PeerFor(sl.media, signal))
	st.SetSRTP(keys)
	st.CountRejects(r.rejects)
	track.SetTap(s.tap.feed(sl.side))
	sl.stream, sl.offered, sl.srtp = st, offeredSource(sl.media), keys != nil
	sl.answer.Port, sl.answer.Codec, sl.answer.DTMF, sl.answer.Crypto = port, f, dtmf, ours
	go r.cfg.Guard.Loop(context.Background(), "recorder media stream", func(context.Context) { st.Run() })
	return nil
}

// sideOf puts the recorded participant's streams on the left channel (0)
// and everyone else's on the right (1). Without metadata, the first stream
// is taken as the recorded party's.
func (s *session) sideOf(label string, index int) int {
	if s.md != nil && s.recordedPID != "" {
		if p, ok := s.md.ParticipantFor(label); ok {
			if p.ID == s.recordedPID {
				return 0
			}
			return 1
		}
	}
	if index == 0 {
		return 0
	}
	return 1
}

// Change applies a re-INVITE or UPDATE: its SDP (reoffer) and its
// metadata (applyMetadata); an UPDATE may carry metadata alone, and is
// then answered without SDP. What changed is kept with its time.
func (r *Recorder) Change(ctx context.Context, o siprec.Offer) ([]byte, error) {
	s := r.dialogSession(o.Dialog)
	if s == nil {
		return nil, siprec.ErrNoSession
	}
	var owners map[string]string
	if o.Metadata != nil {
		owners = r.ownersOf(ctx, s.call.TenantID, s.newParticipants(o.Metadata))
	}
	s.mu.Lock()
	at := s.offsetMS(r.now())
	var answer []byte
	var err error
	if o.HasSDP {
		answer, err = r.reoffer(s, o, at)
	}
	if err == nil && o.Metadata != nil {
		s.applyMetadata(*o.Metadata, at, owners)
	}
	changed := s.changed
	s.changed = false
	var snap spooledSIPREC
	if changed {
		snap = s.snapshot()
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if changed {
		r.saveSIPREC(ctx, s, snap)
	}
	return answer, nil
}

// reoffer applies a re-offer's SDP: a=inactive pauses a stream, any other
// direction resumes it; new streams are opened; a stream whose SRC moved
// is latched to its new address, and new SRTP keys replace the old. A
// re-offer the recorder cannot take for an open stream (SRTP dropped or
// added, no usable key) gets 488 and changes nothing. Called with s.mu held.
func (r *Recorder) reoffer(s *session, o siprec.Offer, at int64) ([]byte, error) {
	for i, m := range o.SDP.Media {
		if i < len(s.streams) {
			if err := s.streams[i].checkReoffer(m); err != nil {
				return nil, err
			}
		}
	}
	var answers []siprec.AnswerMedia
	for i, m := range o.SDP.Media {
		if i >= len(s.streams) {
			sl := &slot{media: m, side: s.sideOf(m.Label, i), answer: siprec.AnswerMedia{Type: m.Type, Proto: m.Proto, Label: m.Label, Direction: siprec.RecvOnly}}
			if acceptable(m) {
				if err := r.openSlot(s, sl, i, o.Source); err != nil {
					return nil, err
				}
			}
			s.streams = append(s.streams, sl)
		} else if err := s.streams[i].reoffer(m, o.Source); err != nil {
			return nil, err
		}
		sl := s.streams[i]
		sl.media.Direction, sl.media.Port = m.Direction, m.Port
		if sl.stream != nil {
			paused := m.Direction == siprec.Inactive || m.Port == 0
			sl.stream.SetPaused(s.streamPaused(paused))
			sl.answer.Direction = siprec.RecvOnly
			if paused {
				sl.answer.Direction = siprec.Inactive
			}
		}
		s.noteStream(i, sl, at)
		answers = append(answers, sl.answer)
	}
	s.mapStreams()
	s.version++
	return siprec.BuildAnswer(r.cfg.MediaIP, uint64(s.start.Unix()), s.version, answers), nil
}

// dialogSession is the live session an in-dialog request belongs to, or nil.
func (r *Recorder) dialogSession(d siprec.Dialog) *session {
	r.mu.Lock()
	s := r.sessions[d.CallID]
	r.mu.Unlock()
	if s == nil || !s.owns(d) {
		return nil
	}
	return s
}

// owns tells whether an in-dialog request is the session's: both tags
// match its dialog (RFC 3261 12.2.2) and it comes from the registered
// source that opened it (any address of its CIDR: an SBC pair may send
// from either node), or from the very address for a media edge.
func (s *session) owns(d siprec.Dialog) bool {
	if d.RemoteTag != s.dialog.RemoteTag || d.LocalTag != s.dialog.LocalTag {
		return false
	}
	if p, err := sipsource.Prefix(s.sourceAddr); err == nil {
		return p.Contains(d.Source)
	}
	return d.Source == s.dialog.Source
}

// End ends the session of an in-dialog BYE or a CANCEL (siprec.Handler).
func (r *Recorder) End(ctx context.Context, d siprec.Dialog, why string) error {
	if r.dialogSession(d) == nil {
		return siprec.ErrNoSession
	}
	return r.Stop(ctx, d.CallID, why)
}

// Live tells whether a session with the Call-ID is recording (siprec.Handler).
func (r *Recorder) Live(callID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[callID] != nil
}

// Stop ends a session: the streams are flushed, the row finalised, the
// stereo mix rendered so the call is playable at once, and the recording
// queued for compression and upload.
func (r *Recorder) Stop(ctx context.Context, callID, why string) error {
	r.mu.Lock()
	s := r.sessions[callID]
	delete(r.sessions, callID)
	r.mu.Unlock()
	if s == nil {
		return siprec.ErrNoSession
	}
	r.load.release(s.call.TenantID)
	s.tap.close()
	ended := r.now()
	end := int64(ended.Sub(s.start)) * media.Rate / int64(time.Second)
	s.mu.Lock()
	for _, sl := range s.streams {
		if sl.stream != nil {
			st := sl.stream.Stats()
			r.totals.packets.Add(st.Packets)
			r.totals.lost.Add(st.Lost)
			r.totals.late.Add(st.Late)
			r.totals.rejected.Add(st.Rejected + st.Unauthenticated)
			if err := sl.stream.Close(end); err != nil {
				r.log.Error("recorder: close stream", "call", s.call.ID, "err", err)
			}
			r.ports.Release(sl.answer.Port)
		}
	}
	received := s.mediaSummary()
	s.mu.Unlock()
	r.noteRejects(s.call.ID, received)
	r.totals.calls.Add(1)
	state := store.CallCompleted
	if why == "cancelled" {
		state = store.CallFailed
	}
	m := meta{Ended: &ended, State: state, EndReason: why, Samples: end, Media: &received}
	if err := finishMeta(s.dir, m); err != nil {
		r.log.Error("recorder: spool end marker", "call", s.call.ID, "err", err)
	}
	// The BYE is answered now; rendering the mix and the row update run
	// beside it, so a burst of call ends does not hold SIP up behind the disk.
	r.ending.Add(1)
	go func() {
		defer r.ending.Done()
		defer r.cfg.Guard.Recover("recorder call end")
		if s.recordedBy != "" {
			r.linkToChain(context.WithoutCancel(ctx), s)
		}
		r.endSlots <- struct{}{}
		defer func() { <-r.endSlots }()
		r.afterEnd(context.WithoutCancel(ctx), s.dir)
	}()
	return nil
}

// discard removes a session that never got going.
func (r *Recorder) discard(s *session) {
	for _, sl := range s.streams {
		if sl.stream != nil {
			_ = sl.stream.Close(0)
			r.ports.Release(sl.answer.Port)
		}
	}
	removeSpool(s.dir)
}

// admit asks the Teams bot about a session that carries a correlation
// token; nil when the session is an ordinary SBC fork.
func (r *Recorder) admit(ctx context.Context, md *siprec.Metadata) (*Admission, error) {
	if md == nil || md.Correlation == "" {
		return nil, nil
	}
	if r.cfg.Admit == nil {
		return nil, &siprec.Reject{Code: 403, Reason: "Teams Sessions Not Accepted"}
	}
	a, err := r.cfg.Admit(ctx, md.Correlation)
	if err != nil {
		r.log.Warn("recorder: Teams session refused", "err", err)
		return nil, &siprec.Reject{Code: 480, Reason: "Recording Status Not Confirmed"}
	}
	return &a, nil
}

// callParties names the call's two sides from the recording metadata —
// the people on the call, not the SIPREC dialog's own From and To (an SBC
// or the Teams media edge). The recorded user placed an outbound call.
func callParties(parts []store.CallParticipant, d decision) (caller, callee string, ok bool) {
	if len(parts) < 2 {
		return "", "", false
	}
	a, b := 0, 1
	if d.participant >= 0 {
		a, b = d.participant, 1-min(d.participant, 1)
		if d.direction == "inbound" {
			a, b = b, a
		}
	}
	return partyLabel(parts[a]), partyLabel(parts[b]), true
}

func partyLabel(p store.CallParticipant) string {
	aor := strings.TrimPrefix(strings.TrimPrefix(p.AOR, "sip:"), "tel:")
	switch {
	case p.Name != "" && aor != "" && !strings.Contains(p.Name, aor) && strings.HasPrefix(aor, "+"):
		return p.Name + " (" + aor + ")"
	case p.Name != "":
		return p.Name
	}
	return aor
}
