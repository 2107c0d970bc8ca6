// Package recordings is what people do with recorded calls: search them
// within their role's scope, open one with its notes and paused spans,
// play, download, mark confidential, delete, pause and resume live calls,
// the dashboard's figures, and the daily retention sweep. The portal, the
// REST API and the worker all call this one service.
package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"callrec/internal/account"
	"callrec/internal/blob"
	"callrec/internal/caller"
	"callrec/internal/events"
	"callrec/internal/recovery"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Sentinel errors the portal and the API map to their answers.
var (
	ErrForbidden = errors.New("recordings: not allowed")
	ErrNotFound  = errors.New("recordings: not found")
	ErrActive    = errors.New("recordings: the call is still active")
	ErrNotActive = errors.New("recordings: the call is not active")
	ErrPaused    = errors.New("recordings: the recording is already paused")
	ErrNotPaused = errors.New("recordings: the recording is not paused")
)

// Service is the recordings workspace.
type Service struct {
	DB       *store.DB
	Accounts *account.Service
	Blobs    blob.Store // nil: audio cannot be deleted (web node without blob access)
	Bus      events.Bus // nil: no live updates
	Log      *slog.Logger
	Now      func() time.Time
	// Control pauses and resumes live recordings; nil records the pause
	// in the metadata only (see Controller).
	Control Controller
	// Guard recovers a retention sweep that panics, so the next runs as
	// scheduled (nil: recovered and logged only).
	Guard *recovery.Guard
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Scope is the part of the tenant's calls a caller may see.
type Scope struct {
	UserIDs      []string // nil: the whole tenant
	Confidential bool     // may see confidential calls
}

// ScopeOf works out the caller's scope: admins see the tenant, supervisors
// their managed groups' members and themselves, self-view users their own
// calls; confidential calls only with recordings.confidential.
func (s *Service) ScopeOf(ctx context.Context, p *caller.Caller) (Scope, error) {
	sc := Scope{Confidential: p.Can(roles.RecordingsConfid)}
	switch {
	case p.TenantID == "":
		return sc, ErrForbidden
	case p.Can(roles.RecordingsViewAll):
	case p.Can(roles.RecordingsViewMgd):
		ids, err := s.DB.Q().ManagedMemberIDs(ctx, p.TenantID, p.User.ID)
		if err != nil {
			return sc, fmt.Errorf("recordings: scope: %w", err)
		}
		sc.UserIDs = append(ids, p.User.ID)
	case p.Can(roles.RecordingsViewOwn):
		sc.UserIDs = []string{p.User.ID}
	default:
		return sc, ErrForbidden
	}
	return sc, nil
}

// apply narrows a filter to the scope.
func (sc Scope) apply(f *store.RecordingFilter) {
	f.UserIDs = sc.UserIDs
	if !sc.Confidential {
		no := false
		f.Confidential = &no
	}
}

// Apply narrows a filter to the scope (for other services' reports).
func (sc Scope) Apply(f *store.RecordingFilter) { sc.apply(f) }

// Allows reports whether the scope covers one call.
func (sc Scope) Allows(c store.Call) bool {
	if c.Confidential && !sc.Confidential {
		return false
	}
	return sc.UserIDs == nil || slices.Contains(sc.UserIDs, c.RecordedUserID)
}

// allows is Scope.Allows plus the Teams chains: a meeting's one recording
// is listed under each recorded user of its chain, not only its own user.
func (s *Service) allows(ctx context.Context, sc Scope, c store.Call) (bool, error) {
	if sc.Allows(c) {
		return true, nil
	}
	if c.Confidential && !sc.Confidential || c.ExternalCallID == "" || len(sc.UserIDs) == 0 {
		return false, nil
	}
	return s.DB.Q().CallListedUnder(ctx, c.TenantID, c.ID, sc.UserIDs)
}

// Visible tells whether a call (as an event carries it) is in the scope,
// the Teams chains included: a supervisor or user sees the live events of
// a meeting recorded under another leg's user when they are in its chain.
// A lookup that fails hides the event.
func (s *Service) Visible(ctx context.Context, sc Scope, c store.Call) bool {
	ok, err := s.allows(ctx, sc, c)
	return err == nil && ok
}

// Call returns one call the caller may see, or ErrNotFound (another
// tenant's, or out of the caller's scope: the same answer, so neither
// can be told apart).
func (s *Service) Call(ctx context.Context, p *caller.Caller, id string) (store.Call, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return store.Call{}, err
	}
	c, err := s.DB.Q().GetCall(ctx, p.TenantID, id)
	if err == nil {
		var ok bool
		if ok, err = s.allows(ctx, sc, c); err == nil && !ok {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Call{}, ErrNotFound
	}
	return c, err
}

// List returns one page of the calls the caller may see matching f.
func (s *Service) List(ctx context.Context, p *caller.Caller, f store.RecordingFilter) ([]store.Recording, string, error) {
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return nil, "", err
	}
	sc.apply(&f)
	return s.DB.Q().SearchRecordings(ctx, p.TenantID, f)
}

// Detail is one call with everything its page shows.
type Detail struct {
	store.Recording
	Participants []store.CallParticipant `json:"participants"`
	Notes        []store.CallNote        `json:"notes"`
	Pauses       []store.CallPause       `json:"pauses"`
	// SIPREC is the session's streams and changes, nil when none is stored.
	SIPREC *store.CallSIPREC `json:"siprec"`
	// LinkedCallID is the recording this call duplicates (the same Teams
	// call forked by the SBC and the media edge); Duplicates are the calls
	// that duplicate this one.
	LinkedCallID string   `json:"linked_call_id"`
	Duplicates   []string `json:"duplicates"`
}

// Get returns a call the caller may see; one outside the scope is
// ErrNotFound, as if it did not exist.
func (s *Service) Get(ctx context.Context, p *caller.Caller, id string) (Detail, error) {
	var d Detail
	sc, err := s.ScopeOf(ctx, p)
	if err != nil {
		return d, err
	}
	q := s.DB.Q()
	d.Recording, err = q.GetRecording(ctx, p.TenantID, id)
	if err == nil {
		var ok bool
		if ok, err = s.allows(ctx, sc, d.Call); err == nil && !ok {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, err
	}
	call, err := q.GetCall(ctx, p.TenantID, id)
	if err != nil {
		return d, err
	}
	d.Participants, d.SIPREC, d.LinkedCallID = call.Participants, call.SIPREC, call.LinkedCallID
	if d.Duplicates, err = q.CallsLinkedTo(ctx, p.TenantID, id); err != nil {
		return d, err
	}
	if d.Notes, err = q.CallNotes(ctx, p.TenantID, id); err != nil {
		return d, err
	}
	if d.Pauses, err = q.CallPauses(ctx, p.TenantID, id); err != nil {
		return d, err
	}
	return d, nil
}

// audit writes an entry about a call in tx, the transaction of the change
// it records.
func (s *Service) audit(ctx context.Context, tx store.Q, a account.Actor, tenantID, action, callID string, detail any) error {
	if err := s.Accounts.Audit(ctx, tx, a, tenantID, action, "call", callID, detail); err != nil {
		return fmt.Errorf("recordings: audit %s: %w", action, err)
	}
	return nil
}

// publish tells live subscribers that a call changed.
func (s *Service) publish(ctx context.Context, kind string, c store.Call) {
	if s.Bus == nil {
		return
	}
	s.Bus.Publish(ctx, events.New(c.TenantID, kind, c, s.now()))
}

func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
