package recordings

import (
	"context"

	"callrec/internal/caller"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Listen checks that the caller may listen live to an active call they may
// see (the playback scope, with the live-monitoring permission); the
// caller then connects to the recorder that holds the call (recorder.Live)
// and, once audio flows, calls ListenStarted.
func (s *Service) Listen(ctx context.Context, p *caller.Caller, id string) (store.Call, error) {
	if !p.Can(roles.LiveMonitor) {
		return store.Call{}, ErrForbidden
	}
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return store.Call{}, err
	}
	if d.State != store.CallActive {
		return store.Call{}, ErrNotActive
	}
	return s.DB.Q().GetCall(ctx, p.TenantID, id)
}

// ListenStarted audits a listening session once it has started: the
// recorder answered and the listener's connection is open. A refused or
// failed attempt heard nothing and is not in the log as a listening.
func (s *Service) ListenStarted(ctx context.Context, p *caller.Caller, c store.Call) error {
	return s.audit(ctx, s.DB.Q(), p.Actor(), p.TenantID, "recording.listen_live", c.ID, map[string]any{"recorder_node": c.RecorderNode})
}
