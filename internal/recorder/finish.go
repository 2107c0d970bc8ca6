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

// finisher compresses and uploads ended calls one at a time; a step that
// fails (blob store or database down) is retried after Config.RetryEvery, with the
// spool kept until the recording is stored.
func (r *Recorder) finisher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case dir := <-r.jobs:
			var err error
			if r.cfg.Guard.Handle("recorder finisher", func() { err = r.finish(ctx, dir) }) {
				// Retrying would panic again; the next start queues it anew.
				r.log.Error("recorder: finishing a spool panicked; left for the next start", "dir", filepath.Base(dir))
				continue
			}
			if err != nil {
				r.log.Warn("recorder: recording not stored yet; will retry", "dir", filepath.Base(dir), "err", err)
				r.cfg.Guard.Go("recorder finisher retry", func() {
					select {
					case <-ctx.Done():
					case <-time.After(r.cfg.RetryEvery):
						r.enqueue(dir)
					}
				})
			}
		}
	}
}

func (r *Recorder) finish(ctx context.Context, dir string) error {
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
		removeSpool(dir)
		return nil
	}
	// Compressing audio nobody may keep would only cost a core.
	if deleted, err := r.callDeleted(ctx, call); err != nil {
		return fmt.Errorf("call row: %w", err)
	} else if deleted {
		return r.dropDeleted(ctx, dir, call)
	}
	archive := filepath.Join(dir, archiveFile)
	if _, err := os.Stat(archive); err != nil {
		if !mixComplete(dir, m.Samples) {
			if err := renderMix(dir, m.Samples); err != nil {
				return err
			}
		}
		pace := func(in io.Reader) io.Reader {
			return &pacedReader{r: in, ctx: ctx, busy: r.busy, share: r.cfg.BusyEncodeShare}
		}
		if err := encodeWAV(filepath.Join(dir, mixFile), archive+".tmp", DefaultEncode, pace); err != nil {
			return err
		}
		if err := os.Rename(archive+".tmp", archive); err != nil {
			return err
		}
	}
	sum, size, err := hashFile(archive)
	if err != nil {
		return err
	}
	key := audioKey(call)
	if err := r.blobs.Put(ctx, key, archive); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if err := r.recordAudio(ctx, call, key, sum, size); errors.Is(err, errCallDeleted) {
		return r.dropDeleted(ctx, dir, call)
	} else if err != nil {
		return fmt.Errorf("call row: %w", err)
	}
	call.BlobKey, call.SHA256, call.SizeBytes, call.AudioFormat = key, sum, size, "opus"
	r.publish(ctx, call, "call.stored")
	removeSpool(dir)
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

// busy reports whether live calls need the CPU more than the archive does.
func (r *Recorder) busy() bool { return r.ActiveCalls() > 0 }

// pacedReader keeps background compression from taking the CPU that live
// calls need (performance-anchors.md: compression, not receiving, is the
// cost, and on two cores it must yield). While busy() it sleeps after each
// slice of encoding work so that the encoder uses at most share of a core;
// when no call is live it runs flat out and catches up. A finished call is
// playable from its spooled mix meanwhile, so pacing delays nothing a user
// sees.
type pacedReader struct {
	r     io.Reader
	ctx   context.Context
	busy  func() bool
	share float64
	last  time.Time     // when the previous Read returned
	work  time.Duration // encoding time since the last pause
}

func (p *pacedReader) Read(b []byte) (int, error) {
	now := time.Now()
	if !p.last.IsZero() {
		p.work += now.Sub(p.last)
	}
	if p.work >= 20*time.Millisecond {
		if p.share > 0 && p.share < 1 && p.busy() {
			pause := time.Duration(float64(p.work) * (1 - p.share) / p.share)
			select {
			case <-p.ctx.Done():
				return 0, p.ctx.Err()
			case <-time.After(pause):
			}
		}
		p.work = 0
	}
	n, err := p.r.Read(b)
	p.last = time.Now()
	return n, err
}
