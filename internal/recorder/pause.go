package recorder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"callrec/internal/clock"
	"callrec/internal/media"
	"callrec/internal/siprec"
	"callrec/internal/store"
)

// PausePoll is how often a recorder reads the pause spans of the calls it
// holds. The database is how a pause reaches the recorder: the span row is
// the one truth the portal, the API and the worker's auto-resume all write,
// on whichever node they run, so no web node needs to reach a recorder and
// a pause survives any node restarting. A pause shows within PausePoll; the
// stored mix is silenced over the exact spans of the rows (silencePauses),
// so that delay never leaves paused audio in the recording.
const PausePoll = 200 * time.Millisecond

// pausesFile in a spool holds the call's pause spans as last read, so that
// the mix (also after a crash, without the database) silences them.
const pausesFile = "pauses.json"

// pauseSpan is a paused span in milliseconds from the call's start.
type pauseSpan struct {
	StartMS int64  `json:"start_ms"`
	EndMS   *int64 `json:"end_ms"` // nil: until the call's end
}

// SetPaused implements recordings.Controller for the calls this node
// holds. A pause silences the call at once (calls on other nodes follow
// within PausePoll). A resume does nothing here: audio is kept again when
// the poll sees the span closed, which the recordings service does only
// after every controller (the Teams bot's `recording`) succeeded.
func (r *Recorder) SetPaused(_ context.Context, c store.Call, paused bool) error {
	if !paused {
		return nil
	}
	if s := r.sessionOf(c); s != nil {
		s.hold(true)
	}
	return nil
}

func (r *Recorder) sessionOf(c store.Call) *session {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sessions[c.SIPCallID]; s != nil && s.call.ID == c.ID {
		return s
	}
	for _, s := range r.sessions {
		if s.call.ID == c.ID {
			return s
		}
	}
	return nil
}

// hold stops (on) or restarts keeping the session's audio. Held streams
// drop packets, so the paused span is a hole in each track, silence on the
// RTP clock: the channels stay aligned and the audio after a resume lands
// at its own time.
func (s *session) hold(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held.Swap(on) == on {
		return
	}
	for _, sl := range s.streams {
		if sl.stream != nil {
			sl.stream.SetPaused(s.streamPaused(sl.answer.Direction == siprec.Inactive))
		}
	}
}

// streamPaused is whether a stream keeps nothing: not recorded, inactive
// in the SDP, or held by a pause.
func (s *session) streamPaused(inactive bool) bool {
	return inactive || !s.record || s.held.Load()
}

// watchPauses keeps every held call's state in step with its pause rows
// until ctx ends.
func (r *Recorder) watchPauses(ctx context.Context) {
	clock.Every(ctx, PausePoll, func() { r.syncPauses(ctx) })
}

func (r *Recorder) syncPauses(ctx context.Context) {
	r.mu.Lock()
	live := make(map[string]*session, len(r.sessions))
	for _, s := range r.sessions {
		live[s.call.ID] = s
	}
	r.mu.Unlock()
	if len(live) == 0 {
		return
	}
	ps, err := r.db.Q().NodePauses(ctx, r.cfg.Node)
	if err != nil {
		// Database down: calls keep their current state.
		r.log.Debug("recorder: pause poll", "err", err)
		return
	}
	spans := map[string][]pauseSpan{}
	for _, p := range ps {
		spans[p.CallID] = append(spans[p.CallID], pauseSpan{StartMS: p.StartMS, EndMS: p.EndMS})
	}
	for id, s := range live {
		if s.rowPending.Load() {
			// No row yet, so no pause rows: keep the spooled spans (an
			// on-demand call's) until insertCall writes them.
			continue
		}
		sp := spans[id]
		s.hold(len(sp) > 0 && sp[len(sp)-1].EndMS == nil)
		if err := s.noteSpans(sp); err != nil {
			r.log.Error("recorder: spool pause spans", "call", id, "err", err)
		}
	}
}

// noteSpans writes the call's spans to its spool when they changed.
func (s *session) noteSpans(sp []pauseSpan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.EqualFunc(sp, s.spans, func(a, b pauseSpan) bool {
		return a.StartMS == b.StartMS && (a.EndMS == nil) == (b.EndMS == nil) && (a.EndMS == nil || *a.EndMS == *b.EndMS)
	}) {
		return nil
	}
	if err := writeJSONFile(filepath.Join(s.dir, pausesFile), sp, true); err != nil {
		return err
	}
	s.spans = sp
	return nil
}

// silencePauses zeroes the paused spans of a stereo mix being written to f
// (header included), samples long.
func silencePauses(dir string, f *os.File, samples int64) error {
	var sp []pauseSpan
	if err := readJSONFile(filepath.Join(dir, pausesFile), &sp); err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("recorder: pause spans: %w", err)
	}
	zero := make([]byte, 4*media.Rate)
	for _, p := range sp {
		from, to := p.StartMS*media.Rate/1000, samples
		if p.EndMS != nil {
			to = min(to, *p.EndMS*media.Rate/1000)
		}
		for pos := max(from, 0); pos < to; pos += media.Rate {
			n := min(media.Rate, to-pos)
			if _, err := f.WriteAt(zero[:4*n], 44+4*pos); err != nil {
				return fmt.Errorf("recorder: silence pause: %w", err)
			}
		}
	}
	return nil
}
