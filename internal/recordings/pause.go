package recordings

import (
	"context"
	"errors"
	"time"

	"callrec/internal/account"
	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Controller acts on a live call when its recording is paused or resumed.
// The recorder implements it by writing silence for the paused span; the
// Teams bot implements it by reporting updateRecordingStatus notRecording
// on pause and recording on resume. The metadata (the marked span) is
// kept by this service whatever the controllers do, and it is what a
// recorder on another node follows: a pause row is written before the
// controllers run (a pause never waits for them), a resume closes the row
// only after they all succeeded.
type Controller interface {
	SetPaused(ctx context.Context, c store.Call, paused bool) error
}

// Controllers runs several controllers in order, stopping at the first error.
type Controllers []Controller

// SetPaused implements Controller.
func (cs Controllers) SetPaused(ctx context.Context, c store.Call, paused bool) error {
	for _, x := range cs {
		if err := x.SetPaused(ctx, c, paused); err != nil {
			return err
		}
	}
	return nil
}

// Pause stops recording an active call the caller may see: the span from
// now until Resume (or the tenant's auto-resume timeout) is marked on the
// call and, through the controllers, kept silent.
func (s *Service) Pause(ctx context.Context, p *caller.Caller, id string) (Detail, error) {
	d, err := s.livePaused(ctx, p, id)
	if err != nil {
		return d, err
	}
	if open(d.Pauses) {
		return d, ErrPaused
	}
	pause := store.CallPause{ID: newID(), StartMS: s.offset(d.Call), PausedBy: p.User.Name}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertCallPause(ctx, p.TenantID, id, pause); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Actor(), p.TenantID, "recording.pause", id, map[string]any{"at_ms": pause.StartMS})
	})
	if err != nil {
		return d, err
	}
	if err := s.control(ctx, d.Call, true); err != nil {
		return d, err
	}
	d.Pauses = append(d.Pauses, pause)
	s.publish(ctx, "call.paused", d.Call)
	return d, nil
}

// Resume records again after Pause.
func (s *Service) Resume(ctx context.Context, p *caller.Caller, id string) (Detail, error) {
	d, err := s.livePaused(ctx, p, id)
	if err != nil {
		return d, err
	}
	if !open(d.Pauses) {
		return d, ErrNotPaused
	}
	if err := s.resume(ctx, p.Actor(), d.Call, p.User.Name); err != nil {
		return d, err
	}
	return s.Get(ctx, p, id)
}

func (s *Service) livePaused(ctx context.Context, p *caller.Caller, id string) (Detail, error) {
	if !p.Can(roles.PauseResume) {
		return Detail{}, ErrForbidden
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	if d.State != store.CallActive {
		return d, ErrNotActive
	}
	return d, nil
}

// resume asks the controllers first and closes the span after: the
// recorder keeps audio again only once it sees the span closed, so Teams
// has heard `recording` before any audio is kept, and if a controller
// fails the call stays paused.
func (s *Service) resume(ctx context.Context, a account.Actor, c store.Call, by string) error {
	if err := s.control(ctx, c, false); err != nil {
		return err
	}
	at := s.offset(c)
	err := s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.EndCallPause(ctx, c.TenantID, c.ID, at, by); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, c.TenantID, "recording.resume", c.ID, map[string]any{"at_ms": at})
	})
	if err != nil {
		return err
	}
	s.publish(ctx, "call.resumed", c)
	return nil
}

func (s *Service) control(ctx context.Context, c store.Call, paused bool) error {
	if s.Control == nil {
		return nil
	}
	return s.Control.SetPaused(ctx, c, paused)
}

// offset is now as milliseconds into the call.
func (s *Service) offset(c store.Call) int64 {
	return max(0, s.now().Sub(c.StartedAt).Milliseconds())
}

func open(ps []store.CallPause) bool {
	return len(ps) > 0 && ps[len(ps)-1].EndMS == nil
}

// AutoResume resumes every pause that has outlasted its tenant's timeout,
// and closes the pauses of calls that ended while paused at the call's end.
// The worker runs it every few seconds.
func (s *Service) AutoResume(ctx context.Context) error {
	ps, err := s.DB.Q().OpenPauses(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, o := range ps {
		c, err := s.DB.Q().GetCall(ctx, o.TenantID, o.CallID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case c.State != store.CallActive:
			err = s.DB.Q().EndCallPause(ctx, c.TenantID, c.ID, c.DurationMS, "call ended")
		case o.PausedBy == store.OnDemandPause:
			// An on-demand call records only once someone starts it.
		case o.AutoResumeSeconds > 0 && now.Sub(o.Since) >= time.Duration(o.AutoResumeSeconds)*time.Second:
			err = s.resume(ctx, account.System, c, "auto-resume")
		}
		if err != nil {
			s.log().Error("recordings: auto-resume", "call_id", c.ID, "err", err)
		}
	}
	return nil
}
