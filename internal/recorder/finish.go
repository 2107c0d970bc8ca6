package recorder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"callrec/internal/media"
	"callrec/internal/store"
)

// afterEnd runs at once when a call ends: it writes the end to the row
// (retried later if the database is down), renders the stereo mix so the
// call is playable, and queues compression and upload.
func (r *Recorder) afterEnd(ctx context.Context, dir string) {
	call, m, err := readSpool(dir)
	if err != nil {
		r.log.Error("recorder: unreadable spool", "dir", dir, "err", err)
		return
	}
	if call.Recorded {
		if err := renderMix(dir, m.Samples); err != nil {
			r.log.Error("recorder: mix", "call", call.ID, "err", err)
		}
	}
	switch err := r.endRow(ctx, dir, &call, &m); {
	case errors.Is(err, errCallDeleted):
		// No event for a call that is gone; the finisher drops its spool.
	case err != nil:
		r.log.Warn("recorder: call row not updated yet; will retry", "call", call.ID, "err", err)
		r.publish(ctx, call, "call.ended")
	default:
		r.publish(ctx, call, "call.ended")
	}
	r.enqueue(dir)
}

func (r *Recorder) enqueue(dir string) {
	r.track(dir)
	select {
	case r.jobs <- dir:
	default:
		// The queue is full only under a pathological backlog; the spool
		// stays on disk and the next start picks it up.
		r.log.Error("recorder: finishing queue full", "dir", dir)
	}
}

func readSpool(dir string) (store.Call, meta, error) {
	call, err := readCall(dir)
	if err != nil {
		return call, meta{}, err
	}
	var m meta
	err = readJSONFile(filepath.Join(dir, endFile), &m)
	return call, m, err
}

func (r *Recorder) endRow(ctx context.Context, dir string, call *store.Call, m *meta) error {
	call.State, call.EndedAt, call.DurationMS, call.Media = m.State, m.Ended, m.Samples*1000/media.Rate, m.Media
	if m.RowDone {
		return nil
	}
	pending := rowPending(dir)
	if pending {
		row, err := readCall(dir)
		if err != nil {
			return err
		}
		if err := r.insertPendingRow(ctx, dir, row); err != nil {
			return err
		}
	}
	// The row has the SIPREC detail of the INVITE; what the dialog changed
	// since (or all of it, for a row written late) is written now.
	if sp, ok := readSpooledSIPREC(dir); ok && (pending || len(sp.Detail.Changes) > 0) {
		err := r.db.SetCallSIPREC(ctx, call.TenantID, call.ID, sp.Participants, sp.Detail)
		if errors.Is(err, store.ErrNotFound) {
			return errCallDeleted
		}
		if err != nil {
			return err
		}
	}
	err := r.db.Q().EndCall(ctx, call.TenantID, call.ID, m.State, m.Ended.UTC(), call.DurationMS, m.Media)
	if errors.Is(err, store.ErrNotFound) {
		return errCallDeleted // a row once written is gone: only a delete does that
	}
	if err != nil {
		return err
	}
	m.RowDone = true
	return markRowDone(dir, *m)
}

// finisher compresses and uploads ended calls one at a time, on a thread
// of its own at a lower priority than capture (Config.EncodeNice); a step
// that fails (blob store or database down) is retried after
// Config.RetryEvery, with the spool kept until the recording is stored.
// When idle it takes back calls this node offered to worker nodes.
func (r *Recorder) finisher(ctx context.Context) {
	var idle <-chan time.Time
	if r.cfg.Offload != nil {
		t := time.NewTicker(r.cfg.Offload.Poll)
		defer t.Stop()
		idle = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case dir := <-r.jobs:
			r.finishOrRetry(ctx, dir, "")
		case <-idle:
			r.reclaim(ctx)
		}
	}
}

// finishOrRetry runs finish, and queues the spool again later if it failed.
func (r *Recorder) finishOrRetry(ctx context.Context, dir, owner string) {
	var err error
	if r.cfg.Guard.Handle("recorder finisher", func() { err = r.finish(ctx, dir, owner) }) {
		// Retrying would panic again; the next start queues it anew.
		r.log.Error("recorder: finishing a spool panicked; left for the next start", "dir", filepath.Base(dir))
		return
	}
	if err == nil {
		return
	}
	r.log.Warn("recorder: recording not stored yet; will retry", "dir", filepath.Base(dir), "err", err)
	if owner != "" {
		// Claimable again (here or by a worker) once RetryEvery passed.
		if call, err := readCall(dir); err == nil {
			_ = r.db.Q().RenewEncodeLease(ctx, call.TenantID, call.ID, owner, r.now().Add(r.cfg.RetryEvery))
		}
		return
	}
	r.cfg.Guard.Go("recorder finisher retry", func() {
		select {
		case <-ctx.Done():
		case <-time.After(r.cfg.RetryEvery):
			r.enqueue(dir)
		}
	})
}

// finish stores an ended call's recording and removes its spool. owner is
// the lease of an encode-queue job this node claimed back, "" for a call
// from its own queue (which it may offer to worker nodes instead).
func (r *Recorder) finish(ctx context.Context, dir, owner string) error {
	call, m, err := readSpool(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // already finished
	}
	if err != nil {
		return err
	}
	if err := r.endRow(ctx, dir, &call, &m); errors.Is(err, errCallDeleted) {
		return r.dropDeleted(ctx, dir, call)
	} else if err != nil {
		return fmt.Errorf("end row: %w", err)
	}
	if !call.Recorded {
		r.release(dir)
		return nil
	}
	// Compressing audio nobody may keep would only cost a core.
	row, err := r.db.Q().GetCall(ctx, call.TenantID, call.ID)
	if errors.Is(err, store.ErrNotFound) {
		return r.dropDeleted(ctx, dir, call)
	} else if err != nil {
		return fmt.Errorf("call row: %w", err)
	}
	if row.BlobKey != "" {
		// A worker node stored it (while this node was down, or it
		// offered the call before).
		return r.settled(ctx, dir, call)
	}
	archive := filepath.Join(dir, archiveFile)
	if _, err := os.Stat(archive); err != nil {
		if !mixComplete(dir, m.Samples) {
			if err := renderMix(dir, m.Samples); err != nil {
				return err
			}
		}
		if owner == "" {
			if offered, err := r.maybeOffer(ctx, dir, call, m); offered || err != nil {
				return err
			}
		}
		if err := r.encode(dir, m.Samples); err != nil {
			return err
		}
	}
	return r.store(ctx, dir, call, archive, owner)
}

// encode compresses the spool's mix into its archive file, counting the
// thread's CPU time (the finisher is locked to its thread).
func (r *Recorder) encode(dir string, samples int64) error {
	archive := filepath.Join(dir, archiveFile)
	cpu := threadCPU()
	if err := EncodeWAV(filepath.Join(dir, mixFile), archive+".tmp", DefaultEncode); err != nil {
		return err
	}
	if err := os.Rename(archive+".tmp", archive); err != nil {
		return err
	}
	r.stats.ran(ranLocal, time.Duration(samples)*time.Second/media.Rate, threadCPU()-cpu)
	return nil
}

// store uploads the archive, records it on the row and removes the spool.
func (r *Recorder) store(ctx context.Context, dir string, call store.Call, archive, owner string) error {
	sum, size, err := hashFile(archive)
	if err != nil {
		return err
	}
	if owner != "" {
		if err := r.db.Q().RenewEncodeLease(ctx, call.TenantID, call.ID, owner, r.now().Add(r.cfg.Offload.Lease)); errors.Is(err, store.ErrNotFound) {
			return nil // another node holds the job now; the spool stays for it
		} else if err != nil {
			return fmt.Errorf("encode lease: %w", err)
		}
	}
	key := audioKey(call)
	if err := r.blobs.Put(ctx, key, archive); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	switch err := recordAudio(ctx, r.db, call, key, sum, size, owner); {
	case errors.Is(err, errCallDeleted):
		return r.dropDeleted(ctx, dir, call)
	case errors.Is(err, errLeaseLost):
		return nil // the new holder stores the same object; the spool stays for it
	case err != nil:
		return fmt.Errorf("call row: %w", err)
	}
	call.BlobKey, call.SHA256, call.SizeBytes, call.AudioFormat = key, sum, size, "opus"
	r.publish(ctx, call, "call.stored")
	if owner != "" {
		return r.settled(ctx, dir, call)
	}
	r.release(dir)
	return nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// recover turns what a crash left into recordings: a spool without an end
// marker becomes an "interrupted" call holding every flushed sample; spools
// that ended but were not stored are queued again; active rows of this node
// without a spool are marked failed.
func (r *Recorder) recover(ctx context.Context) error {
	entries, err := os.ReadDir(r.cfg.SpoolDir)
	if err != nil {
		return fmt.Errorf("recorder: read spool: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(r.cfg.SpoolDir, e.Name())
		call, err := readCall(dir)
		if err != nil {
			r.log.Error("recorder: spool without call.json; left alone", "dir", dir, "err", err)
			continue
		}
		seen[call.ID] = true
		if _, err := os.Stat(filepath.Join(dir, endFile)); errors.Is(err, os.ErrNotExist) {
			_, _, samples, err := tracks(dir)
			if err != nil {
				return fmt.Errorf("recorder: recover %s: %w", call.ID, err)
			}
			ended := call.StartedAt.Add(time.Duration(samples) * time.Second / media.Rate)
			if err := finishMeta(dir, meta{Ended: &ended, State: store.CallInterrupted, EndReason: "recorder restarted", Samples: samples}); err != nil {
				return err
			}
			r.log.Warn("recorder: recovered an interrupted call", "call", call.ID, "seconds", samples/media.Rate)
			r.afterEnd(ctx, dir)
			continue
		}
		r.enqueue(dir)
	}
	orphans, err := r.db.Q().ActiveCallsOnNode(ctx, r.cfg.Node)
	if err != nil {
		return fmt.Errorf("recorder: recover: %w", err)
	}
	for _, c := range orphans {
		if !seen[c.ID] {
			_ = r.db.Q().EndCall(ctx, c.TenantID, c.ID, store.CallFailed, r.db.Now(), 0, nil)
		}
	}
	return nil
}
