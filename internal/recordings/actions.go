package recordings

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// playbackWindow is how long one listening lasts for the audit log: the
// requests a player makes within it (the waveform's fetch, the ranges of
// seeking, a reload) make one entry.
const playbackWindow = 10 * time.Minute

// Playback checks that the caller may play a call it can see in the
// portal's player, or, with download, take its audio any other way (a
// whole-file download, an API client, a URL opened in the browser), and
// audits it: every request that gets audio counts, whatever its range,
// with one entry per caller, call and action within playbackWindow.
func (s *Service) Playback(ctx context.Context, p *caller.Caller, c store.Call, download bool) error {
	perm, action := roles.RecordingsPlay, "recording.play"
	if download {
		perm, action = roles.RecordingsDownload, "recording.download"
	}
	if !p.Can(perm) {
		return ErrForbidden
	}
	since := s.now().Add(-playbackWindow)
	recent, _, err := s.DB.Q().ListAudit(ctx, p.TenantID, store.AuditFilter{Action: action, ObjectType: "call", ObjectID: c.ID, From: &since, Limit: 50})
	if err != nil {
		return err
	}
	for _, e := range recent {
		if e.ActorID == p.User.ID {
			return nil
		}
	}
	return s.audit(ctx, s.DB.Q(), p.Actor(), p.TenantID, action, c.ID, nil)
}

// SetConfidential marks or unmarks a call as confidential; only callers who
// may see confidential calls may.
func (s *Service) SetConfidential(ctx context.Context, p *caller.Caller, id string, confidential bool) (Detail, error) {
	if !p.Can(roles.RecordingsConfid) {
		return Detail{}, ErrForbidden
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	action := "recording.confidential"
	if !confidential {
		action = "recording.unconfidential"
	}
	err = s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.SetConfidential(ctx, p.TenantID, id, confidential); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Actor(), p.TenantID, action, id, nil)
	})
	if err != nil {
		return d, err
	}
	d.Confidential = confidential
	s.publish(ctx, "call.updated", d.Call)
	return d, nil
}

// Delete removes a finished call: the row with its notes at once, then its
// audio (deleteCall says how deletion wins over an upload), audited.
func (s *Service) Delete(ctx context.Context, p *caller.Caller, id string) error {
	if !p.Can(roles.RecordingsDelete) {
		return ErrForbidden
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if d.State == store.CallActive {
		return ErrActive
	}
	detail := map[string]any{"started_at": d.StartedAt, "caller": d.Caller, "callee": d.Callee, "size_bytes": d.SizeBytes}
	err = s.deleteCall(ctx, p.TenantID, id, func(tx store.Q) error {
		return s.audit(ctx, tx, p.Actor(), p.TenantID, "recording.delete", id, detail)
	})
	if err != nil {
		return err
	}
	s.publish(ctx, "call.deleted", d.Call)
	return nil
}

// maxNote bounds a note's length in characters.
const maxNote = 2000

// AddNote pins a note to a moment of a call the caller may see.
func (s *Service) AddNote(ctx context.Context, p *caller.Caller, callID string, offsetMS int64, body string) (store.CallNote, error) {
	var n store.CallNote
	if !p.Can(roles.RecordingsAnnotate) {
		return n, ErrForbidden
	}
	d, err := s.Get(ctx, p, callID)
	if err != nil {
		return n, err
	}
	body = strings.TrimSpace(body)
	errs := validate.Errors{}
	if body == "" {
		errs["body"] = "write the note"
	} else if utf8.RuneCountInString(body) > maxNote {
		errs["body"] = fmt.Sprintf("at most %d characters", maxNote)
	}
	if offsetMS < 0 || (d.DurationMS > 0 && offsetMS > d.DurationMS) {
		errs["offset_ms"] = "a moment within the call"
	}
	if len(errs) > 0 {
		return n, errs
	}
	n = store.CallNote{ID: newID(), CallID: callID, AuthorID: p.User.ID, AuthorName: p.User.Name, OffsetMS: offsetMS,
		Body: body, CreatedAt: s.DB.Now()}
	return n, s.DB.InTx(ctx, func(tx store.Q) error {
		if err := tx.InsertCallNote(ctx, p.TenantID, n); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.Actor(), p.TenantID, "recording.note_add", callID, map[string]any{"note_id": n.ID, "offset_ms": offsetMS})
	})
}

// DeleteNote removes a note: its author may, and so may whoever may see
// the whole tenant.
func (s *Service) DeleteNote(ctx context.Context, p *caller.Caller, callID, noteID string) error {
	if !p.Can(roles.RecordingsAnnotate) {
		return ErrForbidden
	}
	d, err := s.Get(ctx, p, callID)
	if err != nil {
		return err
	}
	for _, n := range d.Notes {
		if n.ID != noteID {
			continue
		}
		if n.AuthorID != p.User.ID && !p.Can(roles.RecordingsViewAll) {
			return ErrForbidden
		}
		return s.DB.InTx(ctx, func(tx store.Q) error {
			if err := tx.DeleteCallNote(ctx, p.TenantID, callID, noteID); err != nil {
				return err
			}
			return s.audit(ctx, tx, p.Actor(), p.TenantID, "recording.note_delete", callID, map[string]any{"note_id": noteID})
		})
	}
	return ErrNotFound
}
