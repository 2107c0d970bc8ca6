package cli

import (
	"context"
	"time"

	"callrec/internal/blob"
	"callrec/internal/clock"
	"callrec/internal/recordings"
)

// startRecordingJobs runs the worker's recordings jobs until ctx ends: the
// daily retention sweep (expired audio out of the blob store, audited),
// the purge of deleted calls' audio the blob store refused at the time
// (every minute), SQLite's planner statistics (at start and daily), and
// the auto-resume of pauses that outlast their tenant's timeout.
func (a *app) startRecordingJobs(ctx context.Context) {
	optimize := func() {
		if err := a.db.Optimize(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("store: planner statistics", "err", err)
		}
	}
	go func() {
		optimize()
		clock.Every(ctx, 24*time.Hour, optimize)
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
	purge := func() {
		n, err := svc.PurgeDeleted(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("recordings: purge deleted audio", "err", err)
		} else if n > 0 {
			a.log.Info("recordings: deleted calls' audio removed", "recordings", n)
		}
	}
	go func() {
		purge()
		clock.Every(ctx, time.Minute, purge)
	}()
	go clock.Every(ctx, 5*time.Second, func() {
		if err := svc.AutoResume(ctx); err != nil {
			a.log.Error("recordings: auto-resume", "err", err)
		}
	})
	a.log.Info("worker running retention (daily), deleted audio purge and pause auto-resume")
}
