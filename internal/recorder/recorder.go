// Package recorder is the SIPREC recording server's core: it decides per
// call whether to record, receives the streams into a crash-safe spool,
// writes the call rows, and after each call mixes, compresses and uploads
// the recording. After a crash, Run turns orphaned spools into
// "interrupted" recordings holding everything up to the crash.
package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/blob"
	"callrec/internal/clock"
	"callrec/internal/events"
	"callrec/internal/media"
	"callrec/internal/recovery"
	"callrec/internal/siprec"
	"callrec/internal/store"
)

// Config is the recorder's part of the configuration.
type Config struct {
	SIPAddr    string        // CALLREC_SIP_ADDR
	RTPPorts   string        // CALLREC_RTP_PORTS
	MediaIP    netip.Addr    // address put in SDP answers and bound for RTP
	SpoolDir   string        // local, crash-safe spool
	Node       string        // this recorder's name on call rows
	MaxCalls   int           // above it INVITEs get 503 (0: 4000)
	RTPTimeout time.Duration // a call without RTP this long is ended (0: 60 s)
	// Encoders is how many threads compress ended calls (0: one per CPU).
	// They run at nice EncodeNice, so the kernel serves capture first and
	// gives them every core capture leaves.
	Encoders int
	// EncodeNice is the encoder threads' nice value, 1–19 (0: DefaultEncodeNice).
	EncodeNice int
	// Offload, when set, hands compression to worker nodes through the
	// database's encode queue; PostgreSQL only (SQLite is one node).
	Offload *Offload
	// InternalURL is registered as where web nodes fetch this node's
	// spooled audio (Library.ServeSpool); empty registers nothing.
	InternalURL string
	// RetryEvery is how long a failed upload or row update waits (0: 2 s).
	RetryEvery time.Duration
	// Admit decides sessions that carry a Teams correlation token (the
	// media edge's): it names the tenant and waits until Teams confirmed
	// the recording status, so nothing is kept before that. Nil disables
	// Teams sessions.
	Admit func(ctx context.Context, correlation string) (Admission, error)
	// Guard recovers a panic in a SIP handler or a recorder goroutine
	// (nil: one of the recorder's own, counted in Metrics).
	Guard *recovery.Guard
	// Metrics is where the recorder's counters are registered (nil: not
	// exported).
	Metrics prometheus.Registerer
	// SIPLimits bound each SIP peer (zero: siprec's defaults).
	SIPLimits siprec.Limits
	// TrustedProxies may name the SRC they relay for (siprec.Options).
	TrustedProxies []netip.Prefix
}

// Admission is the Teams bot's word on a media-edge session.
type Admission struct {
	TenantID  string
	UserID    string
	Direction string
	Record    bool
	Reason    string
	// RecordedBy is the Graph call id of the leg whose recording this
	// session's conversation already has (a later leg of a meeting's
	// chain), "" otherwise.
	RecordedBy string
}

// Recorder records calls. Its methods are safe for concurrent use.
type Recorder struct {
	cfg   Config
	db    *store.DB
	blobs blob.Store
	bus   events.Bus
	log   *slog.Logger
	now   func() time.Time
	ports *media.Ports

	mu       sync.Mutex
	sessions map[string]*session // by SIP Call-ID
	sources  sourceCache
	load     tenantLoad    // each tenant's live calls against its max_calls
	alerts   alertThrottle // provider alerts about ambiguous sources

	jobs          chan string // spool dirs ready to compress and upload
	backlog       backlog     // ended calls not stored yet
	stats         *encodeStats
	noClaimsUntil atomic.Int64 // unix ns: the encode queue had nothing of ours
	encoderMu     sync.Mutex
	encoderTIDs   []int // the encoder threads (tests read their nice value)

	ending   sync.WaitGroup // calls whose end is being written (Stop)
	endSlots chan struct{}  // bounds how many at once

	totals  struct{ calls, packets, lost, late, rejected atomic.Int64 }
	rejects media.RejectCounters // callrec_rtp_rejected_packets_total
}

// Totals are counters over the calls that ended since start.
type Totals struct {
	Calls, Packets, Lost, Late int64
	// Rejected packets came from another source than the stream's peer
	// or failed SRTP authentication.
	Rejected int64
}

// Totals returns what the ended calls' streams received (benchmarks).
func (r *Recorder) Totals() Totals {
	return Totals{r.totals.calls.Load(), r.totals.packets.Load(), r.totals.lost.Load(), r.totals.late.Load(), r.totals.rejected.Load()}
}

// New builds a recorder; Run starts it.
func New(cfg Config, db *store.DB, blobs blob.Store, bus events.Bus, log *slog.Logger, now func() time.Time) (*Recorder, error) {
	if now == nil {
		now = time.Now
	}
	if cfg.MaxCalls == 0 {
		cfg.MaxCalls = 4000
	}
	if cfg.RTPTimeout == 0 {
		cfg.RTPTimeout = 60 * time.Second
	}
	if cfg.RetryEvery == 0 {
		cfg.RetryEvery = 2 * time.Second
	}
	if cfg.Encoders == 0 {
		cfg.Encoders = runtime.NumCPU()
	}
	if cfg.EncodeNice == 0 {
		cfg.EncodeNice = DefaultEncodeNice
	}
	if cfg.EncodeNice < 1 || cfg.EncodeNice > 19 || cfg.Encoders < 0 {
		return nil, fmt.Errorf("recorder: encoders %d at nice %d: want at least one, at nice 1–19", cfg.Encoders, cfg.EncodeNice)
	}
	if cfg.Offload != nil {
		if db.Dialect() != store.Postgres || cfg.InternalURL == "" {
			return nil, errors.New("recorder: offloading encoding needs PostgreSQL and an internal URL workers fetch the audio from")
		}
		cfg.Offload = cfg.Offload.withDefaults()
	}
	if !cfg.MediaIP.IsValid() {
		cfg.MediaIP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Guard == nil {
		cfg.Guard = recovery.New(log, cfg.Metrics)
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	ports, err := media.ParsePorts(cfg.MediaIP, cfg.RTPPorts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("recorder: spool: %w", err)
	}
	return &Recorder{cfg: cfg, db: db, blobs: blobs, bus: bus, log: log, now: now, ports: ports, rejects: rejectCounters(cfg.Metrics),
		sessions: map[string]*session{}, jobs: make(chan string, 100000), endSlots: make(chan struct{}, 8),
		backlog: backlog{calls: map[string]pendingAudio{}}, stats: newEncodeStats(cfg.Metrics)}, nil
}

// Run recovers orphaned spools, then serves SIP until ctx ends. ready is
// called with the SIP address once listening.
func (r *Recorder) Run(ctx context.Context, ready func(sipAddr string)) error {
	if err := r.recover(ctx); err != nil {
		return err
	}
	srv, err := siprec.NewServer(r, r.log, siprec.Options{Limits: r.cfg.SIPLimits, Guard: r.cfg.Guard, Metrics: r.cfg.Metrics,
		TrustedProxies: r.cfg.TrustedProxies})
	if err != nil {
		return err
	}
	// A panic in a loop is logged and counted, and the loop started again:
	// one bad spool or row must not stop the recording of every call.
	// The loops end with Run, also when Serve fails to start.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	loop := func(where string, fn func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); r.cfg.Guard.Loop(ctx, where, fn) }()
	}
	defer reserveProcs(r.cfg.Encoders)()
	for i := 0; i < r.cfg.Encoders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			onLowPriorityThread(r.cfg.EncodeNice, func(tid int, err error) {
				r.noteEncoder(tid, err)
				r.cfg.Guard.Loop(ctx, "recorder finisher", r.finisher)
			})
		}()
	}
	loop("recorder encode backlog", r.watchBacklog)
	loop("recorder rtp timeouts", r.watchTimeouts)
	loop("recorder node heartbeat", r.register)
	loop("recorder pause poll", r.watchPauses)
	err = srv.Serve(ctx, r.cfg.SIPAddr, func(a net.Addr) {
		r.log.Info("SIPREC recorder listening", "sip", a.String(), "rtp_ports", r.cfg.RTPPorts, "node", r.cfg.Node)
		if ready != nil {
			ready(a.String())
		}
	})
	r.stopAll()
	r.ending.Wait()
	cancel()
	wg.Wait()
	return err
}

// stopAll ends every live call at shutdown: a graceful stop completes them.
func (r *Recorder) stopAll() {
	r.mu.Lock()
	ids := make([]string, 0, len(r.sessions))
	for id := range r.sessions {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		_ = r.Stop(context.Background(), id, "shutdown")
	}
}

// ActiveCalls is the number of calls being recorded.
func (r *Recorder) ActiveCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// watchTimeouts ends calls whose RTP stopped.
func (r *Recorder) watchTimeouts(ctx context.Context) {
	clock.Every(ctx, time.Second, func() {
		var stale []string
		r.mu.Lock()
		for id, s := range r.sessions {
			if s.idle() > r.cfg.RTPTimeout {
				stale = append(stale, id)
			}
		}
		r.mu.Unlock()
		for _, id := range stale {
			r.log.Info("call ended: no RTP", "call_id", id, "timeout", r.cfg.RTPTimeout)
			_ = r.Stop(ctx, id, "rtp_timeout")
		}
	})
}

func (r *Recorder) publish(ctx context.Context, c store.Call, kind string) {
	publishCall(ctx, r.bus, r.now(), c, kind)
}

// publishCall tells the call's tenant what happened to it (an encode
// worker stores calls too).
func publishCall(ctx context.Context, bus events.Bus, at time.Time, c store.Call, kind string) {
	if bus == nil {
		return
	}
	bus.Publish(ctx, events.New(c.TenantID, kind, map[string]any{
		"id": c.ID, "state": c.State, "recorded": c.Recorded, "recorded_user_id": c.RecordedUserID,
		"direction": c.Direction, "started_at": c.StartedAt, "ended_at": c.EndedAt, "duration_ms": c.DurationMS,
		"confidential": c.Confidential,
	}, at))
}

// sourceCache keeps the registered sources for a few seconds, so a burst of
// INVITEs costs one query.
type sourceCache struct {
	mu      sync.Mutex
	at      time.Time
	sources []store.SIPSource
}

func (r *Recorder) sourcesNow(ctx context.Context) ([]store.SIPSource, error) {
	c := &r.sources
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sources != nil && r.now().Sub(c.at) < 5*time.Second {
		return c.sources, nil
	}
	s, err := r.db.Q().AllSIPSources(ctx)
	if err != nil && c.sources != nil {
		// Database down: the last known sources still say who may record.
		return c.sources, nil
	}
	if err != nil {
		return nil, err
	}
	c.sources, c.at = s, r.now()
	return s, nil
}

// InvalidateSources drops the source cache (after an API change, tests).
func (r *Recorder) InvalidateSources() {
	r.sources.mu.Lock()
	r.sources.sources = nil
	r.sources.mu.Unlock()
}

func (r *Recorder) spoolPath(callID string) string { return filepath.Join(r.cfg.SpoolDir, callID) }
