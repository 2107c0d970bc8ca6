package recorder_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/api"
	"callrec/internal/recorder"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// metricValue reads one sample from a registry: the metric called name,
// with label where=where when where is set. Absent counts as 0.
func metricValue(t *testing.T, reg *prometheus.Registry, name, where string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			ok := where == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "where" && l.GetValue() == where {
					ok = true
				}
			}
			if !ok {
				continue
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return 0
}

// threadNice reads a thread's nice value the kernel keeps (field 19 of
// /proc/self/task/<tid>/stat, counted after the command's parentheses).
func threadNice(t *testing.T, tid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, err := strconv.Atoi(fields[16]) // field 19 is the 17th after the command
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// recordCall places a one-second call to the agent and hangs up.
func (e *env) recordCall(ctx context.Context) string {
	e.t.Helper()
	before := len(e.calls())
	call, flows := e.dialTones(ctx, "sip:2001@pbx.example")
	time.Sleep(time.Second) // real time: the call must carry audio
	e.stopTones(flows)
	if err := call.Bye(ctx); err != nil {
		e.t.Fatal(err)
	}
	rows := e.calls()
	if len(rows) != before+1 {
		e.t.Fatalf("%d call rows, want %d", len(rows), before+1)
	}
	return rows[0].ID
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEncoderThreadsRunNiced: every encoder thread runs at the configured
// nice value while the main thread keeps 0, and the Go scheduler has a P
// for each encoder beside the ones capture uses.
func TestEncoderThreadsRunNiced(t *testing.T) {
	b := storetest.Backends()[0]
	procs := runtime.GOMAXPROCS(0)
	e := newEnv(t, b, 0, func(c *recorder.Config) { c.Encoders, c.EncodeNice = 3, 13 })
	if p := runtime.GOMAXPROCS(0); p != procs+3 {
		t.Errorf("GOMAXPROCS %d while 3 encoders run, want %d: a P for each beside capture's", p, procs+3)
	}
	waitFor(t, "encoder threads started", 5*time.Second, func() bool { return len(e.rec.EncoderThreads()) == 3 })
	for _, tid := range e.rec.EncoderThreads() {
		if n := threadNice(t, tid); n != 13 {
			t.Errorf("encoder thread %d runs at nice %d, want 13", tid, n)
		}
	}
	if n := threadNice(t, os.Getpid()); n != 0 {
		t.Errorf("the main thread runs at nice %d, want 0", n)
	}
	if _, err := recorder.New(recorder.Config{SpoolDir: t.TempDir(), RTPPorts: "40000-40009", EncodeNice: 25}, e.db, e.blobs, nil, slog.Default(), nil); err == nil {
		t.Error("nice 25 accepted")
	}
	if _, err := recorder.New(recorder.Config{SpoolDir: t.TempDir(), RTPPorts: "40000-40009", Offload: &recorder.Offload{}}, e.db, e.blobs, nil, slog.Default(), nil); err == nil {
		t.Error("offload accepted without an internal URL (and, on SQLite, without PostgreSQL)")
	}
}

// TestEncodeMetrics: while the blob store is down the ended call is the
// backlog (its audio, and its age growing); once stored, the backlog is
// empty and the audio and CPU the encoder spent are counted as local.
func TestEncodeMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newEnv(t, b, 0)
		e.blobs.setDown(true)
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()
		id := e.recordCall(ctx)
		backlog := func() float64 { return metricValue(t, e.metrics, "callrec_encode_backlog_seconds", "") }
		waitFor(t, "backlog counted", 5*time.Second, func() bool { return backlog() >= 0.9 })
		if got := backlog(); got > 2 {
			t.Errorf("backlog %.2f s for a one-second call", got)
		}
		waitFor(t, "oldest call aging", 5*time.Second, func() bool {
			return metricValue(t, e.metrics, "callrec_encode_oldest_seconds", "") >= 1
		})
		e.blobs.setDown(false)
		waitEvent(t, evs, "call.stored", id, 20*time.Second)
		waitFor(t, "backlog emptied", 5*time.Second, func() bool {
			return backlog() == 0 && metricValue(t, e.metrics, "callrec_encode_oldest_seconds", "") == 0
		})
		if n := metricValue(t, e.metrics, "callrec_encode_jobs_total", "local"); n != 1 {
			t.Errorf("local encode jobs %v, want 1", n)
		}
		if a := metricValue(t, e.metrics, "callrec_encode_audio_seconds_total", "local"); a < 0.9 || a > 2 {
			t.Errorf("encoded audio %.2f s, want the call's second", a)
		}
		if c := metricValue(t, e.metrics, "callrec_encode_cpu_seconds_total", "local"); c <= 0 {
			t.Errorf("encode CPU %v s, want some", c)
		}
	})
}

// workerNodes is a recorder on node A that offers every call to the
// encode queue and serves its spool on A's internal routes, and what a
// worker node B needs: the database, the blob store, the bus and B's
// signing key.
func workerNodes(t *testing.T, reclaimAfter time.Duration) *twoNodes {
	t.Helper()
	return workerNodesOffloading(t, &recorder.Offload{Backlog: 0, ReclaimAfter: reclaimAfter, Poll: 50 * time.Millisecond, Lease: time.Minute})
}

// workerNodesOffloading is workerNodes with A offloading as o says.
func workerNodesOffloading(t *testing.T, o *recorder.Offload) *twoNodes {
	t.Helper()
	b := storetest.Backends()
	if len(b) < 2 {
		t.Skip("encoding on worker nodes needs PostgreSQL: set CALLREC_TEST_POSTGRES_URL")
	}
	return newTwoNodesTuned(t, b[1], func(n *twoNodes, mux *http.ServeMux) {
		mux.HandleFunc(recorder.SpoolRoute, (&recorder.Library{Spool: n.spool, Nodes: n.nodeA}).ServeSpool)
	}, func(n *twoNodes, h *api.Handler) {}, func(c *recorder.Config) {
		c.Offload = o
	})
}

// worker starts an encode worker of node B; cancel stops it at once (a
// crash), wait waits for it to have stopped.
func (n *twoNodes) worker(t *testing.T, tune func(w *recorder.EncodeWorker, cancel func())) (reg *prometheus.Registry, wait func()) {
	t.Helper()
	reg = prometheus.NewRegistry()
	w := &recorder.EncodeWorker{DB: n.db, Blobs: n.blobs, Bus: n.bus, Nodes: n.nodeB, Log: slog.New(slog.NewTextHandler(n.logs, nil)),
		Encoders: 1, TempDir: t.TempDir(), Poll: 50 * time.Millisecond, Lease: time.Minute, Metrics: reg}
	ctx, cancel := context.WithCancel(context.Background())
	if tune != nil {
		tune(w, cancel)
	}
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	wait = func() { cancel(); <-done }
	t.Cleanup(wait)
	return reg, wait
}

// storedOnce checks the call's row names its recording, the object is
// there and decodes, it was uploaded once, and A's spool is gone.
func (n *twoNodes) storedOnce(t *testing.T, id string) store.Call {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "A's spool released", 10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(n.spool, id))
		return errors.Is(err, os.ErrNotExist)
	})
	c, err := n.db.Q().GetCall(ctx, n.tenant.ID, id)
	if err != nil || c.BlobKey == "" || c.SizeBytes == 0 {
		t.Fatalf("call row %+v, %v: want its recording stored", c, err)
	}
	obj, err := n.blobs.Open(ctx, c.BlobKey)
	if err != nil {
		t.Fatalf("stored object: %v", err)
	}
	defer obj.Close()
	samples, err := recorder.DecodeToWAV(obj, &seekBuffer{})
	if err != nil || samples < 7000 {
		t.Errorf("stored recording decodes to %d samples, %v; want the call's second", samples, err)
	}
	uploads := 0
	for _, k := range n.blobs.uploads() {
		if k == c.BlobKey {
			uploads++
		}
	}
	if uploads != 1 {
		t.Errorf("recording uploaded %d times, want once", uploads)
	}
	if _, err := n.db.Q().GetEncodeJob(ctx, n.tenant.ID, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("encode job left after the spool was released: %v", err)
	}
	return c
}

// TestWorkerNodeEncodes: recorder A offers the ended call; worker node B
// claims it, fetches A's mix over the signed route, encodes, uploads,
// records it on the row and publishes call.stored; A then releases its
// spool. The work counts as the worker's, none as A's.
func TestWorkerNodeEncodes(t *testing.T) {
	n := workerNodes(t, time.Hour)
	ctx := context.Background()
	reg, _ := n.worker(t, nil)
	evs, stop := n.bus.Subscribe(n.tenant.ID)
	defer stop()
	id := n.recordCall(ctx)
	waitEvent(t, evs, "call.stored", id, 20*time.Second)
	n.storedOnce(t, id)
	if got := metricValue(t, reg, "callrec_encode_jobs_total", "worker"); got != 1 {
		t.Errorf("worker encode jobs %v, want 1", got)
	}
	if got := metricValue(t, reg, "callrec_encode_cpu_seconds_total", "worker"); got <= 0 {
		t.Errorf("worker encode CPU %v, want some", got)
	}
	if got := metricValue(t, n.metrics, "callrec_encode_jobs_total", "local"); got != 0 {
		t.Errorf("recorder encoded %v calls itself, want 0", got)
	}
	waitFor(t, "A's backlog emptied", 5*time.Second, func() bool {
		return metricValue(t, n.metrics, "callrec_encode_backlog_seconds", "") == 0
	})
}

// TestWorkerCrashMidJob: worker 1 dies after encoding, before uploading;
// its lease runs out and worker 2 takes the job; the recording is stored
// once and A's spool goes.
func TestWorkerCrashMidJob(t *testing.T) {
	n := workerNodes(t, time.Hour)
	ctx := context.Background()
	crashed := make(chan struct{})
	reg1, wait1 := n.worker(t, func(w *recorder.EncodeWorker, cancel func()) {
		w.SetBeforeUpload(func(context.Context) {
			cancel()
			close(crashed)
		})
	})
	evs, stop := n.bus.Subscribe(n.tenant.ID)
	defer stop()
	id := n.recordCall(ctx)
	select {
	case <-crashed:
	case <-time.After(20 * time.Second):
		t.Fatal("worker 1 never reached the upload")
	}
	wait1()
	if len(n.blobs.uploads()) != 0 {
		t.Fatalf("worker 1 uploaded %v before dying", n.blobs.uploads())
	}
	job, err := n.db.Q().GetEncodeJob(ctx, n.tenant.ID, id)
	if err != nil || job.State != store.EncodeRunning || job.Attempts != 1 {
		t.Fatalf("job after the crash = %+v, %v; want running under worker 1's lease", job, err)
	}
	// Worker 2's clock is past worker 1's lease.
	reg2, _ := n.worker(t, func(w *recorder.EncodeWorker, _ func()) {
		w.Now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	})
	waitEvent(t, evs, "call.stored", id, 20*time.Second)
	n.storedOnce(t, id)
	if a, b := metricValue(t, reg1, "callrec_encode_jobs_total", "worker"), metricValue(t, reg2, "callrec_encode_jobs_total", "worker"); a != 0 || b != 1 {
		t.Errorf("jobs stored by worker 1 %v, worker 2 %v; want 0 and 1", a, b)
	}
}

// TestRecorderReclaimsOfferedCalls: with no worker node, the recorder
// encodes the calls it offered once ReclaimAfter passes.
func TestRecorderReclaimsOfferedCalls(t *testing.T) {
	n := workerNodes(t, 200*time.Millisecond)
	ctx := context.Background()
	evs, stop := n.bus.Subscribe(n.tenant.ID)
	defer stop()
	id := n.recordCall(ctx)
	waitEvent(t, evs, "call.stored", id, 20*time.Second)
	n.storedOnce(t, id)
	if got := metricValue(t, n.metrics, "callrec_encode_jobs_total", "local"); got != 1 {
		t.Errorf("recorder encoded %v calls, want 1", got)
	}
}

// TestOffloadThreshold: below the backlog threshold the recorder encodes
// the call itself and offers nothing, though a worker is there.
func TestOffloadThreshold(t *testing.T) {
	n := workerNodesOffloading(t, &recorder.Offload{Backlog: time.Hour, Poll: 50 * time.Millisecond})
	ctx := context.Background()
	reg, _ := n.worker(t, nil)
	evs, stop := n.bus.Subscribe(n.tenant.ID)
	defer stop()
	id := n.recordCall(ctx)
	waitEvent(t, evs, "call.stored", id, 20*time.Second)
	n.storedOnce(t, id)
	if l, w := metricValue(t, n.metrics, "callrec_encode_jobs_total", "local"), metricValue(t, reg, "callrec_encode_jobs_total", "worker"); l != 1 || w != 0 {
		t.Errorf("encoded by the recorder %v, by the worker %v; want 1 and 0", l, w)
	}
}

// seekBuffer is an in-memory io.WriteSeeker.
type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if need := s.pos + len(p); need > len(s.b) {
		s.b = append(s.b, make([]byte, need-len(s.b))...)
	}
	copy(s.b[s.pos:], p)
	s.pos += len(p)
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		s.pos = int(off)
	case io.SeekCurrent:
		s.pos += int(off)
	case io.SeekEnd:
		s.pos = len(s.b) + int(off)
	}
	return int64(s.pos), nil
}
