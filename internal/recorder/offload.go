package recorder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"callrec/internal/media"
	"callrec/internal/store"
)

// Offload lets a recorder on PostgreSQL hand the compression of ended
// calls to worker nodes through the encode queue (store.EncodeJob). The
// recorder still encodes what nobody took, so nothing depends on a worker
// existing, and its spool stays until the row says the recording is
// stored.
type Offload struct {
	// Backlog: a call is offered while this node's own encoders have more
	// than this much audio waiting; 0 offers every call.
	Backlog time.Duration
	// ReclaimAfter is how long an offered call is left to worker nodes
	// before an idle encoder here takes it back (0: 10 s).
	ReclaimAfter time.Duration
	// Lease is how long a claim holds a job unrenewed (0: 2 min); a holder
	// that dies loses the job after it.
	Lease time.Duration
	// Poll is how often idle encoders look for jobs and offered calls are
	// checked for being stored (0: 1 s).
	Poll time.Duration
}

func (o *Offload) withDefaults() *Offload {
	c := *o
	if c.ReclaimAfter == 0 {
		c.ReclaimAfter = 10 * time.Second
	}
	if c.Lease == 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Poll == 0 {
		c.Poll = time.Second
	}
	return &c
}

// leaseOwner names one claim: unique, so a node that claims a job again
// after its own lease ran out is a different holder.
func leaseOwner(node string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return node + "/" + hex.EncodeToString(b[:])
}

// maybeOffer puts the call in the encode queue when this node's own
// encoders are behind (or always, with Backlog 0), reporting whether it is
// in the queue: then workers (or reclaim, later) encode it.
func (r *Recorder) maybeOffer(ctx context.Context, dir string, call store.Call, m meta) (bool, error) {
	o := r.cfg.Offload
	if o == nil {
		return false, nil
	}
	if _, err := r.db.Q().GetEncodeJob(ctx, call.TenantID, call.ID); err == nil {
		r.markOffered(dir, true) // offered before a restart
		return true, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if waiting := r.localBacklog(); o.Backlog > 0 && waiting <= o.Backlog {
		return false, nil
	}
	err := r.db.Q().OfferEncodeJob(ctx, store.EncodeJob{TenantID: call.TenantID, CallID: call.ID, RecorderNode: r.cfg.Node,
		AudioMS: m.Samples * 1000 / media.Rate})
	if err != nil {
		return false, fmt.Errorf("offer: %w", err)
	}
	r.markOffered(dir, true)
	return true, nil
}

// reclaim encodes this node's offered calls that no worker took within
// ReclaimAfter, while its own queue is empty. After a claim that found
// nothing the other encoders skip asking until the next poll.
func (r *Recorder) reclaim(ctx context.Context) {
	o := r.cfg.Offload
	for ctx.Err() == nil && len(r.jobs) == 0 {
		now := r.now()
		if now.UnixNano() < r.noClaimsUntil.Load() {
			return
		}
		owner := leaseOwner(r.cfg.Node)
		j, ok, err := r.db.Q().ClaimEncodeJob(ctx, store.EncodeClaim{Owner: owner, Now: now, LeaseUntil: now.Add(o.Lease),
			Node: r.cfg.Node, OfferedBefore: now.Add(-o.ReclaimAfter)})
		if err != nil {
			r.log.Warn("recorder: claiming an offered call", "err", err)
			return
		}
		if !ok {
			r.noClaimsUntil.Store(now.Add(o.Poll).UnixNano())
			return
		}
		hctx, stop := holdLease(ctx, r.db, j, owner, o.Lease, r.now)
		r.finishOrRetry(hctx, r.spoolPath(j.CallID), owner)
		stop()
	}
}

// holdLease renews a claimed job's lease until stop; the returned context
// ends when the lease is lost (another node holds the job).
func holdLease(ctx context.Context, db *store.DB, j store.EncodeJob, owner string, lease time.Duration, now func() time.Time) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := db.Q().RenewEncodeLease(ctx, j.TenantID, j.CallID, owner, now().Add(lease)); errors.Is(err, store.ErrNotFound) {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel() }
}

// settleOffered releases the spools of offered calls that a worker
// stored, drops those of deleted calls, and queues again any whose job
// vanished unstored. Jobs whose spool is gone are removed.
func (r *Recorder) settleOffered(ctx context.Context) {
	jobs, err := r.db.Q().EncodeJobsOf(ctx, r.cfg.Node)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("recorder: reading the encode queue", "err", err)
		}
		return
	}
	byCall := make(map[string]store.EncodeJob, len(jobs))
	for _, j := range jobs {
		byCall[j.CallID] = j
	}
	for _, dir := range r.offered() {
		j, ok := byCall[callOfDir(dir)]
		delete(byCall, callOfDir(dir))
		if ok && j.State != store.EncodeDone {
			continue
		}
		if err := r.settleDir(ctx, dir); err != nil {
			r.log.Warn("recorder: settling an offered call", "call", callOfDir(dir), "err", err)
		}
	}
	for _, j := range byCall {
		if _, err := os.Stat(r.spoolPath(j.CallID)); !errors.Is(err, os.ErrNotExist) {
			continue // being finished here
		}
		if j.State != store.EncodeDone {
			r.log.Error("recorder: an offered call's spool is gone; nobody can encode it", "call", j.CallID)
		}
		_ = r.db.Q().DeleteEncodeJob(ctx, j.TenantID, j.CallID)
	}
}

// settleDir ends an offered call whose job is done or gone.
func (r *Recorder) settleDir(ctx context.Context, dir string) error {
	call, err := readCall(dir)
	if errors.Is(err, os.ErrNotExist) {
		r.untrack(dir)
		return nil
	}
	if err != nil {
		return err
	}
	row, err := r.db.Q().GetCall(ctx, call.TenantID, call.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r.dropDeleted(ctx, dir, call)
	case err != nil:
		return err
	case row.BlobKey != "":
		return r.settled(ctx, dir, call)
	}
	// The job went without the audio being stored: encode it here.
	if err := r.db.Q().DeleteEncodeJob(ctx, call.TenantID, call.ID); err != nil {
		return err
	}
	r.markOffered(dir, false)
	r.enqueue(dir)
	return nil
}

// settled ends the work on a call whose recording is stored: the job row
// goes, then the spool.
func (r *Recorder) settled(ctx context.Context, dir string, call store.Call) error {
	if err := r.db.Q().DeleteEncodeJob(ctx, call.TenantID, call.ID); err != nil {
		return err
	}
	r.release(dir)
	return nil
}
