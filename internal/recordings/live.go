package recordings

import (
	"context"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// Listen lets the caller listen live to an active call they may see (the
// playback scope, with the live-monitoring permission) and audits it once
// per listening session; the caller then connects to the recorder that
// holds the call (recorder.Live).
func (s *Service) Listen(ctx context.Context, p *principal.Principal, id string) (store.Call, error) {
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
	c, err := s.DB.Q().GetCall(ctx, p.TenantID, id)
	if err != nil {
		return c, err
	}
	return c, s.audit(ctx, p.Actor(), p.TenantID, "recording.listen_live", id, map[string]any{"recorder_node": c.RecorderNode})
}
