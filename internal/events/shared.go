package events

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Logged is an event as a shared log keeps it, with the id the log gave it.
type Logged struct {
	ID int64
	Event
}

// Log is a log every node of an installation appends to and reads, with a
// notification when something was appended: the store's event_log with
// PostgreSQL LISTEN/NOTIFY.
type Log interface {
	Append(ctx context.Context, e Event) error
	Since(ctx context.Context, after int64, limit int) ([]Logged, error)
	Last(ctx context.Context) (int64, error)
	Prune(ctx context.Context, before time.Time) error
	// Listen calls ready once it listens and notified for each id
	// appended by anyone, until ctx ends or the connection fails.
	Listen(ctx context.Context, ready func(), notified func(id int64)) error
}

// Shared is a Bus across nodes: Publish appends to the Log (in the
// background, never blocking the caller), and every node's Shared reads
// what was appended — on each notification, after a reconnect, and every
// few seconds in case a notification was missed — and hands it to its own
// subscribers through a Local bus.
type Shared struct {
	local    *Local
	log      Log
	lg       *slog.Logger
	out      chan Event
	wake     chan struct{}
	appended chan struct{} // closed when append has written the queue out
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	// floor is the newest id when the bus started: older events are not
	// this node's to deliver.
	floor int64

	// seen holds the ids delivered above low: an id below the newest one
	// delivered may still commit later (ids are taken before commit), so
	// reads look back a window and skip what was delivered.
	seen map[int64]bool
	low  int64
}

// Tuning of the shared bus.
const (
	sharedQueue   = 4096             // events waiting to be appended
	lookBack      = 256              // ids re-read below the newest delivered
	readBatch     = 1000             // rows per catch-up read
	pollEvery     = 3 * time.Second  // catch-up without a notification
	pruneAfter    = 10 * time.Minute // how long the log keeps an event
	reconnectWait = time.Second
)

// NewShared starts a shared bus on log; it runs until Close.
func NewShared(log Log, lg *slog.Logger) *Shared {
	s := &Shared{local: NewLocal(), log: log, lg: lg, out: make(chan Event, sharedQueue), wake: make(chan struct{}, 1),
		appended: make(chan struct{}), seen: map[int64]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	last, err := log.Last(ctx)
	if err != nil {
		lg.Warn("events: cannot read the shared event log yet; starting from its next event", "err", err)
	}
	s.low, s.floor = last, last
	go func() { defer close(s.appended); s.append(ctx) }()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.listen(ctx) }()
	go func() { defer s.wg.Done(); s.deliver(ctx) }()
	return s
}

// Close stops the bus after appending what was published (for up to 5 s).
func (s *Shared) Close() {
	close(s.out)
	select {
	case <-s.appended:
	case <-time.After(5 * time.Second):
	}
	s.cancel()
	s.wg.Wait()
}

// Publish queues e for the log; a full queue drops it and says so.
func (s *Shared) Publish(_ context.Context, e Event) {
	select {
	case s.out <- e:
	default:
		s.lg.Warn("events: shared event queue full; live update dropped", "kind", e.Kind)
	}
}

// Subscribe returns this node's view of the tenant's events, from every node.
func (s *Shared) Subscribe(tenantID string) (<-chan Event, func()) {
	return s.local.Subscribe(tenantID)
}

func (s *Shared) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// append writes queued events to the log until the queue is closed, and
// prunes it now and then.
func (s *Shared) append(ctx context.Context) {
	pruned := time.Now()
	for e := range s.out {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := s.log.Append(actx, e); err != nil {
			s.lg.Warn("events: live update not shared with other nodes", "kind", e.Kind, "err", err)
		}
		if time.Since(pruned) > time.Minute {
			pruned = time.Now()
			if err := s.log.Prune(actx, e.At.Add(-pruneAfter)); err != nil {
				s.lg.Warn("events: prune the event log", "err", err)
			}
		}
		cancel()
	}
}

// listen keeps a LISTEN connection, reconnecting after a failure; each
// (re)connection and notification wakes deliver.
func (s *Shared) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.log.Listen(ctx, s.poke, func(int64) { s.poke() })
		if ctx.Err() != nil {
			return
		}
		s.lg.Warn("events: lost the event log's notifications; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(reconnectWait):
		}
	}
}

// deliver reads what the log holds beyond what was delivered, on each
// wake-up and every pollEvery, and hands it to local subscribers.
func (s *Shared) deliver(ctx context.Context) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
		s.catchUp(ctx)
	}
}

func (s *Shared) catchUp(ctx context.Context) {
	for {
		rows, err := s.log.Since(ctx, max(s.low-lookBack, 0), readBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.lg.Warn("events: read the event log", "err", err)
			}
			return
		}
		fresh := 0
		for _, r := range rows {
			if r.ID <= s.floor || r.ID <= s.low-lookBack || s.seen[r.ID] {
				continue
			}
			s.seen[r.ID] = true
			fresh++
			s.local.Publish(ctx, r.Event)
		}
		newest := s.low
		if len(rows) > 0 {
			newest = max(newest, rows[len(rows)-1].ID)
		}
		s.low = newest
		for id := range s.seen {
			if id <= s.low-lookBack {
				delete(s.seen, id)
			}
		}
		if len(rows) < readBatch || fresh == 0 {
			return
		}
	}
}
