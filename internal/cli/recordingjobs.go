package cli

import (
	"context"
	"time"

	"callrec/internal/blob"
	"callrec/internal/recordings"
)

// startRecordingJobs runs the worker's recordings jobs until ctx ends: the
// daily retention sweep (expired audio out of the blob store, audited),
// SQLite's planner statistics (at start and daily), and the auto-resume of
// pauses that outlast their tenant's timeout.
func (a *app) startRecordingJobs(ctx context.Context) {
	go func() {
		tick := time.NewTicker(24 * time.Hour)
		defer tick.Stop()
		for {
			if err := a.db.Optimize(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("store: planner statistics", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		a.log.Error("retention disabled: blob store unavailable", "err", err)
		return
	}
	svc := &recordings.Service{DB: a.db, Accounts: a.accounts, Blobs: blobs, Bus: a.eventBus(), Log: a.log, Control: a.pauseControl()}
	day := time.NewTicker(24 * time.Hour)
	go func() {
		defer day.Stop()
		svc.RunRetention(ctx, day.C)
	}()
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := svc.AutoResume(ctx); err != nil {
					a.log.Error("recordings: auto-resume", "err", err)
				}
			}
		}
	}()
	a.log.Info("worker running retention (daily) and pause auto-resume")
}
