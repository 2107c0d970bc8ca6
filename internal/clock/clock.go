// Package clock is the fake clock tests hand to callrec's services (which
// take a `func() time.Time`), so time-dependent rules — lockouts, token
// expiry, replication delays, retention — are tested by stepping time.
//
// A fake clock starts from the real now (NewFake), because cookie jars,
// x/oauth2, JWT and TLS libraries judge expiry by the wall clock: a clock
// pinned to a date drifts further from it every day, and a suite that
// passed on that date fails a week later. A test that needs a calendar
// date (a month's end, a leap day) uses At, and guard_test.go keeps such a
// test away from code that reads the wall clock.
package clock

import (
	"context"
	"os"
	"sync"
	"time"
)

// StartEnv names the variable that moves every NewFake clock to a given
// instant (RFC 3339), to run the suite as if it were that date.
const StartEnv = "CALLREC_TEST_NOW"

// Fake is a settable clock safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// Start is where NewFake clocks begin: the real now in UTC, rounded down
// to the minute, or the instant CALLREC_TEST_NOW names. A malformed
// CALLREC_TEST_NOW panics: a run meant for another date must not quietly
// run on today's.
func Start() time.Time {
	if v := os.Getenv(StartEnv); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			panic("clock: " + StartEnv + " is not RFC 3339: " + err.Error())
		}
		return t.UTC()
	}
	return time.Now().UTC().Truncate(time.Minute)
}

// NewFake returns a clock standing at Start().
func NewFake() *Fake { return &Fake{t: Start()} }

// At returns a clock standing at t, for a test that needs that calendar
// date. guard_test.go refuses it in a package whose tests reach code that
// reads the wall clock.
func At(t time.Time) *Fake { return &Fake{t: t} }

// Now reads the clock.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep waits d or until ctx ends, whichever is first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Every runs fn each time d has passed, until ctx ends (not at once: call
// fn first for a job that also runs at start).
func Every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
