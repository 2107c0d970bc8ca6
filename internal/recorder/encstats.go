package recorder

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/clock"
	"callrec/internal/media"
)

// Where an encode ran, the label of the encode counters.
const (
	ranLocal  = "local"  // on the recorder that recorded the call
	ranWorker = "worker" // on a worker node, from the recorder's spool
)

// encodeStats are a process's encode metrics; a recorder and an encode
// worker in one process share them.
type encodeStats struct {
	audio, cpu, jobs *prometheus.CounterVec
	backlog, oldest  prometheus.Gauge
}

func newEncodeStats(reg prometheus.Registerer) *encodeStats {
	where := []string{"where"}
	return (&encodeStats{
		audio: registered(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_encode_audio_seconds_total",
			Help: "Seconds of recorded audio compressed for the archive, by where it ran (local: the recorder; worker: a worker node)."}, where)),
		cpu: registered(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_encode_cpu_seconds_total",
			Help: "CPU seconds the encoder threads spent compressing, by where it ran."}, where)),
		jobs: registered(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_encode_jobs_total",
			Help: "Recordings compressed, by where it ran."}, where)),
		backlog: registered(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "callrec_encode_backlog_seconds",
			Help: "Seconds of audio of ended calls this recorder holds that are not stored yet (queued here or offered to workers)."})),
		oldest: registered(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "callrec_encode_oldest_seconds",
			Help: "Age of the oldest ended call this recorder holds that is not stored yet (0: none)."})),
	}).init()
}

// init exports every series from the start (0 until something ran), so
// a rate over a fresh process has a first sample.
func (s *encodeStats) init() *encodeStats {
	for _, where := range []string{ranLocal, ranWorker} {
		s.audio.WithLabelValues(where)
		s.cpu.WithLabelValues(where)
		s.jobs.WithLabelValues(where)
	}
	return s
}

// registered registers c, or returns the collector of that name already
// registered (a recorder restarted on the same registry, or a worker and a
// recorder in one process).
func registered[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// ran counts one encode.
func (s *encodeStats) ran(where string, audio, cpu time.Duration) {
	s.jobs.WithLabelValues(where).Inc()
	s.audio.WithLabelValues(where).Add(audio.Seconds())
	s.cpu.WithLabelValues(where).Add(cpu.Seconds())
}

// backlog is what a recorder holds that is not stored yet: ended,
// recorded calls by spool directory.
type backlog struct {
	mu    sync.Mutex
	calls map[string]pendingAudio
}

type pendingAudio struct {
	audio   time.Duration
	ended   time.Time
	offered bool // in the encode queue: a worker or a later claim encodes it
}

// track adds an ended call's spool to the backlog (once).
func (r *Recorder) track(dir string) {
	r.backlog.mu.Lock()
	_, ok := r.backlog.calls[dir]
	r.backlog.mu.Unlock()
	if ok {
		return
	}
	call, m, err := readSpool(dir)
	if err != nil || !call.Recorded {
		return
	}
	p := pendingAudio{audio: time.Duration(m.Samples) * time.Second / media.Rate, ended: r.now()}
	if m.Ended != nil {
		p.ended = *m.Ended
	}
	r.backlog.mu.Lock()
	r.backlog.calls[dir] = p
	r.backlog.mu.Unlock()
	r.refreshBacklog()
}

// untrack removes a stored or dropped call from the backlog.
func (r *Recorder) untrack(dir string) {
	r.backlog.mu.Lock()
	delete(r.backlog.calls, dir)
	r.backlog.mu.Unlock()
	r.refreshBacklog()
}

// markOffered notes that a call is in the encode queue (or not).
func (r *Recorder) markOffered(dir string, offered bool) {
	r.backlog.mu.Lock()
	defer r.backlog.mu.Unlock()
	if p, ok := r.backlog.calls[dir]; ok {
		p.offered = offered
		r.backlog.calls[dir] = p
	}
}

// offered lists the spools of the calls in the encode queue.
func (r *Recorder) offered() []string {
	r.backlog.mu.Lock()
	defer r.backlog.mu.Unlock()
	var out []string
	for dir, p := range r.backlog.calls {
		if p.offered {
			out = append(out, dir)
		}
	}
	return out
}

// localBacklog is the audio waiting for this node's own encoders.
func (r *Recorder) localBacklog() time.Duration {
	r.backlog.mu.Lock()
	defer r.backlog.mu.Unlock()
	var sum time.Duration
	for _, p := range r.backlog.calls {
		if !p.offered {
			sum += p.audio
		}
	}
	return sum
}

// refreshBacklog sets the backlog gauges; called on every change and
// every second (the oldest call ages).
func (r *Recorder) refreshBacklog() {
	r.backlog.mu.Lock()
	var sum time.Duration
	var oldest time.Time
	for _, p := range r.backlog.calls {
		sum += p.audio
		if oldest.IsZero() || p.ended.Before(oldest) {
			oldest = p.ended
		}
	}
	r.backlog.mu.Unlock()
	r.stats.backlog.Set(sum.Seconds())
	age := 0.0
	if !oldest.IsZero() {
		age = max(r.now().Sub(oldest).Seconds(), 0)
	}
	r.stats.oldest.Set(age)
}

// release removes a call's spool once its recording is stored (or the
// call deleted), and takes it out of the backlog.
func (r *Recorder) release(dir string) {
	removeSpool(dir)
	r.untrack(dir)
}

func callOfDir(dir string) string { return filepath.Base(dir) }

// DefaultEncodeNice is the encoder threads' nice value: the kernel weighs
// a nice-10 thread at about a tenth of a nice-0 one, so capture wins any
// contended core while idle cores go to encoding.
const DefaultEncodeNice = 10

// noteEncoder records an encoder thread (tests read its nice value).
func (r *Recorder) noteEncoder(tid int, err error) {
	if err != nil {
		r.log.Warn("recorder: encoder thread keeps normal priority", "err", err)
	}
	r.encoderMu.Lock()
	r.encoderTIDs = append(r.encoderTIDs, tid)
	r.encoderMu.Unlock()
}

// watchBacklog keeps the backlog gauges current (the oldest call ages)
// and, when offloading, settles the calls workers stored.
func (r *Recorder) watchBacklog(ctx context.Context) {
	every := time.Second
	if r.cfg.Offload != nil {
		every = r.cfg.Offload.Poll
	}
	clock.Every(ctx, every, func() {
		if r.cfg.Offload != nil {
			r.settleOffered(ctx)
		}
		r.refreshBacklog()
	})
}
