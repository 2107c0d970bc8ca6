package recordings

import (
	"context"
	"time"

	"callrec/internal/account"
	"callrec/internal/store"
)

// retentionBatch is how many expired calls one sweep step takes.
const retentionBatch = 200

// SweepResult is what one retention sweep did.
type SweepResult struct {
	Deleted int
	Bytes   int64
	Failed  int
}

// Sweep deletes every finished call whose expiry (set by the recorder from
// the tenant's retention days) is past: the row, then the audio from the
// blob store, with an audit entry in the tenant's log naming what went.
// Audio the blob store cannot delete now is left to PurgeDeleted; a call
// the database cannot delete is kept and retried on the next sweep.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	skip := map[string]bool{}
	for {
		batch, err := s.DB.Q().ExpiredCalls(ctx, s.now(), retentionBatch+len(skip))
		if err != nil {
			return res, err
		}
		progress := false
		for _, c := range batch {
			if skip[c.ID] {
				continue
			}
			progress = true
			if err := s.expire(ctx, c.TenantID, c.ID, c.SizeBytes, c.ExpiresAt); err != nil {
				s.log().Error("recordings: retention", "tenant_id", c.TenantID, "call_id", c.ID, "err", err)
				skip[c.ID] = true
				res.Failed++
				continue
			}
			res.Deleted++
			res.Bytes += c.SizeBytes
		}
		if !progress || len(batch) < retentionBatch+len(skip) {
			return res, nil
		}
	}
}

func (s *Service) expire(ctx context.Context, tenantID, id string, size int64, expires time.Time) error {
	return s.deleteCall(ctx, tenantID, id, func(tx store.Q) error {
		return s.audit(ctx, tx, account.System, tenantID, "recording.expire", id, map[string]any{"expires_at": expires, "size_bytes": size})
	})
}

// RunRetention sweeps once at start and then every interval (a day in
// production) until ctx ends; the worker role runs it. tick makes the
// schedule testable. A sweep that panics is recovered, logged and counted
// (Guard), and the next one runs on schedule.
func (s *Service) RunRetention(ctx context.Context, tick <-chan time.Time) {
	for {
		s.Guard.Handle("worker retention", func() {
			res, err := s.Sweep(ctx)
			if err != nil {
				s.log().Error("recordings: retention sweep", "err", err)
			} else if res.Deleted > 0 || res.Failed > 0 {
				s.log().Info("recordings: retention sweep", "deleted", res.Deleted, "bytes", res.Bytes, "failed", res.Failed)
			}
		})
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
