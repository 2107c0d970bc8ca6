package teamsbot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callrec/internal/clock"
	"callrec/internal/store"
)

// Admission is the recorder's answer for a media-edge SIPREC session.
type Admission struct {
	TenantID  string
	UserID    string
	Direction string
	Record    bool
	Reason    string
	// RecordedBy is the Graph call id of the leg whose recording this
	// session's conversation already has (a later leg of a meeting's
	// chain), "" otherwise.
	RecordedBy string
}

// ErrUnknownCorrelation means the session names no leg the bot answered.
var ErrUnknownCorrelation = errors.New("teamsbot: no Teams call with that correlation token")

// Gate admits the media edge's SIPREC sessions. Teams forbids persisting
// media before updateRecordingStatus(recording) succeeded, so the recorder
// asks the gate before it answers the INVITE: no audio reaches callrec's
// disk until Teams confirmed, and none at all when the status failed or the
// leg was only answered to keep the call alive. It reads the shared store,
// so the recorder and the bot may be different processes.
type Gate struct {
	DB    *store.DB
	Wait  time.Duration // how long to wait for the status (default 8 s)
	Poll  time.Duration // how often to look (default 50 ms)
	Sleep func(ctx context.Context, d time.Duration) error
}

// Admit waits until the leg with this correlation token is confirmed
// recording (Record true), or settled otherwise (Record false, with why).
func (g *Gate) Admit(ctx context.Context, correlation string) (Admission, error) {
	wait, poll := g.Wait, g.Poll
	if wait <= 0 {
		wait = 8 * time.Second
	}
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	sleep := g.Sleep
	if sleep == nil {
		sleep = clock.Sleep
	}
	for spent := time.Duration(0); ; spent += poll {
		leg, err := g.DB.Q().TeamsCallByCorrelation(ctx, correlation)
		if errors.Is(err, store.ErrNotFound) {
			return Admission{}, ErrUnknownCorrelation
		}
		if err != nil {
			return Admission{}, err
		}
		a := Admission{TenantID: leg.TenantID, UserID: leg.UserID, Direction: leg.Direction, Reason: leg.Reason}
		switch leg.Status {
		case "recording":
			return g.once(ctx, leg, a)
		case "not_recording", "rejected":
			return a, nil
		case "failed", "terminated":
			a.Reason = "Teams did not confirm the recording status (" + leg.Status + "): audio discarded"
			return a, nil
		}
		if spent >= wait {
			return Admission{}, fmt.Errorf("teamsbot: recording status of call %s not confirmed within %s", leg.GraphCallID, wait)
		}
		if err := sleep(ctx, poll); err != nil {
			return Admission{}, err
		}
	}
}

// once keeps a chain's audio once: a leg whose chain (a meeting, a call
// between two recorded users) already has an earlier live recording leg
// keeps none of its own, since it would hold the same conversation; its
// users are listed under the chain and see that recording.
func (g *Gate) once(ctx context.Context, leg store.TeamsCall, a Admission) (Admission, error) {
	a.Record = true
	if leg.ChainID == "" {
		return a, nil
	}
	first, err := g.DB.Q().ChainRecorder(ctx, leg.TenantID, leg.ChainID)
	if errors.Is(err, store.ErrNotFound) {
		return a, nil
	}
	if err != nil {
		return Admission{}, err
	}
	if first.GraphCallID != leg.GraphCallID {
		// No user either: the row is the leg's trace for the tenant's
		// admins; the user sees the chain's recording instead.
		a.Record, a.UserID, a.RecordedBy = false, "", first.GraphCallID
		a.Reason = "the call is recorded once, by its Teams leg " + first.GraphCallID + "; this leg's audio would duplicate it"
	}
	return a, nil
}
