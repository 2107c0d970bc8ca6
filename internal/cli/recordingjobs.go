package cli

import (
	"context"
	"time"

	"callrec/internal/analytics"
	"callrec/internal/blob"
	"callrec/internal/clock"
	"callrec/internal/recordings"
	"callrec/internal/transcripts"
)

// startRecordingJobs runs the worker's recordings jobs until ctx ends: the
// daily retention sweep (expired audio out of the blob store, audited),
// the purge of deleted calls' audio the blob store refused at the time
// (every minute), SQLite's planner statistics (at start and daily), and
// the auto-resume of pauses that outlast their tenant's timeout.
func (a *app) startRecordingJobs(ctx context.Context) {
	a.runJob(ctx, "worker planner statistics", 24*time.Hour, true, func() {
		if err := a.db.Optimize(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("store: planner statistics", "err", err)
		}
	})
	blobs, err := blob.Open(a.cfg.BlobURL)
	if err != nil {
		a.log.Error("retention disabled: blob store unavailable", "err", err)
		return
	}
	svc := &recordings.Service{DB: a.db, Accounts: a.accounts, Blobs: blobs, Bus: a.eventBus(), Log: a.log, Control: a.pauseControl(),
		Guard: a.guard}
	day := time.NewTicker(24 * time.Hour)
	go func() {
		defer day.Stop()
		svc.RunRetention(ctx, day.C)
	}()
	a.runJob(ctx, "worker purge deleted audio", time.Minute, true, func() {
		n, err := svc.PurgeDeleted(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("recordings: purge deleted audio", "err", err)
		} else if n > 0 {
			a.log.Info("recordings: deleted calls' audio removed", "recordings", n)
		}
	})
	a.runJob(ctx, "worker auto-resume", 5*time.Second, false, func() {
		if err := svc.AutoResume(ctx); err != nil {
			a.log.Error("recordings: auto-resume", "err", err)
		}
	})
	a.startTranscripts(ctx, svc, blobs)
	a.log.Info("worker running retention (daily), deleted audio purge, pause auto-resume and transcription")
}

// runJob runs fn every interval until ctx ends, and first at once when
// atStart. A turn that panics is recovered, logged with its stack and
// counted in callrec_panics_total under where; the next turn comes on
// schedule.
func (a *app) runJob(ctx context.Context, where string, every time.Duration, atStart bool, fn func()) {
	turn := func() { a.guard.Handle(where, fn) }
	go func() {
		if atStart {
			turn()
		}
		clock.Every(ctx, every, turn)
	}()
}

// startTranscripts runs the speech analytics queue: every couple of
// seconds the worker transcribes the stored calls of licensed users that
// are due, one at a time (an engine call takes a core).
func (a *app) startTranscripts(ctx context.Context, calls *recordings.Service, blobs blob.Store) {
	tr := &transcripts.Service{DB: a.db, Accounts: a.accounts, Recordings: calls, Blobs: blobs, Box: a.box, Bus: a.eventBus(),
		Log: a.log, Node: a.cfg.Node,
		Analytics: &analytics.Service{DB: a.db, Accounts: a.accounts, Recordings: calls, Blobs: blobs, Box: a.box, Log: a.log}}
	tr.Register(a.metrics)
	a.runJob(ctx, "worker transcripts", 2*time.Second, true, func() {
		if err := tr.Drain(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("transcripts: queue", "err", err)
		}
	})
}
