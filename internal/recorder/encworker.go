package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/blob"
	"callrec/internal/events"
	"callrec/internal/media"
	"callrec/internal/recovery"
	"callrec/internal/store"
)

// EncodeWorker compresses the calls recorder nodes offer in the encode
// queue (a node with the worker role runs it): it claims a job under a
// lease, fetches the call's mix from the recorder's spool with a signed
// request, encodes it on a low-priority thread, uploads it and records it
// on the call row in the transaction that completes the job; the recorder
// then sees the row stored and removes its spool. A worker that dies
// mid-job loses the lease and another node takes the job.
type EncodeWorker struct {
	DB    *store.DB
	Blobs blob.Store
	Bus   events.Bus
	Nodes *Nodes // signs the spool fetch; Nodes.Self names the lease holder
	Log   *slog.Logger
	// Encoders is how many jobs run at once (0: one per CPU), each on a
	// thread at nice Nice (0: DefaultEncodeNice).
	Encoders, Nice int
	// TempDir holds the fetched mix and the archive while a job runs
	// ("": the system's).
	TempDir string
	// Lease is how long a claim holds a job unrenewed (0: 2 min); Poll is
	// how often an idle encoder looks for a job (0: 1 s).
	Lease, Poll time.Duration
	// Now is the lease clock (nil: time.Now).
	Now     func() time.Time
	Metrics prometheus.Registerer
	Guard   *recovery.Guard // nil: one of its own

	stats        *encodeStats
	beforeUpload func(ctx context.Context) // tests: a crash between encode and upload
	mu           sync.Mutex
	tids         []int
}

// Run works the queue until ctx ends.
func (w *EncodeWorker) Run(ctx context.Context) {
	if w.Encoders <= 0 {
		w.Encoders = runtime.NumCPU()
	}
	if w.Nice == 0 {
		w.Nice = DefaultEncodeNice
	}
	if w.Lease == 0 {
		w.Lease = 2 * time.Minute
	}
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Guard == nil {
		w.Guard = recovery.New(w.Log, w.Metrics)
	}
	w.stats = newEncodeStats(w.Metrics)
	defer reserveProcs(w.Encoders)()
	var wg sync.WaitGroup
	for range w.Encoders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			onLowPriorityThread(w.Nice, func(tid int, err error) {
				if err != nil {
					w.Log.Warn("encode worker: thread keeps normal priority", "err", err)
				}
				w.mu.Lock()
				w.tids = append(w.tids, tid)
				w.mu.Unlock()
				w.Guard.Loop(ctx, "encode worker", w.loop)
			})
		}()
	}
	wg.Wait()
}

func (w *EncodeWorker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		worked, err := w.next(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("encode worker: job not done; retried later", "err", err)
		}
		if worked {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.Poll):
		}
	}
}

// next claims and runs one job, reporting whether there was one.
func (w *EncodeWorker) next(ctx context.Context) (bool, error) {
	owner, now := leaseOwner(w.Nodes.Self), w.Now()
	j, ok, err := w.DB.Q().ClaimEncodeJob(ctx, store.EncodeClaim{Owner: owner, Now: now, LeaseUntil: now.Add(w.Lease), NotNode: w.Nodes.Self})
	if err != nil || !ok {
		return false, err
	}
	hctx, stop := holdLease(ctx, w.DB, j, owner, w.Lease, w.Now)
	defer stop()
	if err := w.run(hctx, j, owner); err != nil {
		if hctx.Err() == nil {
			// Leave the job to its lease, moved out by a growing pause.
			backoff := min(time.Duration(j.Attempts)*10*time.Second, 5*time.Minute)
			_ = w.DB.Q().RenewEncodeLease(ctx, j.TenantID, j.CallID, owner, w.Now().Add(backoff))
		}
		return true, fmt.Errorf("call %s from %s: %w", j.CallID, j.RecorderNode, err)
	}
	return true, nil
}

// run encodes and stores one claimed job.
func (w *EncodeWorker) run(ctx context.Context, j store.EncodeJob, owner string) error {
	call, err := w.DB.Q().GetCall(ctx, j.TenantID, j.CallID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted: its job went with it
	}
	if err != nil {
		return err
	}
	if call.BlobKey != "" {
		return w.DB.Q().CompleteEncodeJob(ctx, j.TenantID, j.CallID, owner)
	}
	wav, err := w.fetchMix(ctx, j)
	if err != nil {
		return err
	}
	defer os.Remove(wav)
	archive := wav + ".opus"
	defer os.Remove(archive)
	cpu := threadCPU()
	if err := EncodeWAV(wav, archive, DefaultEncode); err != nil {
		return err
	}
	cpu = threadCPU() - cpu
	if w.beforeUpload != nil {
		w.beforeUpload(ctx)
	}
	if ctx.Err() != nil {
		return ctx.Err() // stopping, or the lease is lost: upload nothing
	}
	sum, size, err := hashFile(archive)
	if err != nil {
		return err
	}
	key := audioKey(call)
	if err := w.Blobs.Put(ctx, key, archive); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	switch err := recordAudio(ctx, w.DB, call, key, sum, size, owner); {
	case errors.Is(err, errCallDeleted):
		return dropUpload(ctx, w.DB, w.Blobs, call)
	case errors.Is(err, errLeaseLost):
		return nil // the new holder stores the same object
	case err != nil:
		return fmt.Errorf("call row: %w", err)
	}
	w.stats.ran(ranWorker, time.Duration(j.AudioMS)*time.Millisecond, cpu)
	call.BlobKey, call.SHA256, call.SizeBytes, call.AudioFormat = key, sum, size, "opus"
	publishCall(ctx, w.Bus, w.Now(), call, "call.stored")
	return nil
}

// fetchMix copies the call's stereo mix from its recorder's spool into a
// temporary file, over the signed internal route (SpoolRoute).
func (w *EncodeWorker) fetchMix(ctx context.Context, j store.EncodeJob) (string, error) {
	n := w.Nodes
	rn, err := n.node(ctx, j.RecorderNode)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.SpoolURL(rn.InternalURL, rn.Node, j.CallID, n.now().Add(signedFor)), nil)
	if err != nil {
		return "", fmt.Errorf("recorder: node %q: %w", rn.Node, err)
	}
	res, err := n.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: node %q: %v", ErrNodeGone, rn.Node, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("recorder: node %q answered %s for call %s's mix", rn.Node, res.Status, j.CallID)
	}
	f, err := os.CreateTemp(w.TempDir, "encode-*.wav")
	if err != nil {
		return "", fmt.Errorf("recorder: %w", err)
	}
	// A mix is 32 kB per second of audio: a day is the most any call holds.
	n64, err := io.Copy(f, io.LimitReader(res.Body, 24*3600*media.Rate*4+44))
	if err == nil {
		err = f.Close()
	} else {
		f.Close()
	}
	if err == nil && n64 < 44 {
		err = errors.New("recorder: mix shorter than its header")
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("recorder: fetching call %s's mix: %w", j.CallID, err)
	}
	return f.Name(), nil
}
