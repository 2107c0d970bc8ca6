package auth

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrBusy means too many password checks are already waiting: the caller
// answers 429 with Retry-After instead of queueing more 64 MiB hashes.
var ErrBusy = errors.New("auth: too many sign-ins at once; try again in a moment")

// Hasher runs argon2id hashing with a bound on how many run at once and
// how many wait. Each hash takes 64 MiB for ~50 ms: unbounded, 60
// concurrent sign-ins with unknown logins took the process from 1 GB to
// 4 GB in 12 s.
type Hasher struct {
	slots   chan struct{}
	pending atomic.Int64 // running and waiting
	limit   int64        // most running and waiting at once
	wait    time.Duration
}

// NewHasher allows running hashes at once (0: GOMAXPROCS) and queue more
// waiting (0: 8 per slot); a waiter gives up after maxWait (0: 5 s).
func NewHasher(running, queue int, maxWait time.Duration) *Hasher {
	if running <= 0 {
		running = runtime.GOMAXPROCS(0)
	}
	if queue <= 0 {
		queue = 8 * running
	}
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	return &Hasher{slots: make(chan struct{}, running), limit: int64(running + queue), wait: maxWait}
}

// acquire takes a slot, or fails at once with ErrBusy when the queue is
// full, or after the wait.
func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	if h.pending.Add(1) > h.limit {
		h.pending.Add(-1)
		return nil, ErrBusy
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots; h.pending.Add(-1) }, nil
	case <-t.C:
		h.pending.Add(-1)
		return nil, ErrBusy
	case <-ctx.Done():
		h.pending.Add(-1)
		return nil, ctx.Err()
	}
}

// Run runs fn, which hashes, in a slot.
func (h *Hasher) Run(ctx context.Context, fn func() error) error {
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// Hash hashes a password or PIN.
func (h *Hasher) Hash(ctx context.Context, secret string) (hash string, err error) {
	err = h.Run(ctx, func() error {
		hash, err = HashSecret(secret)
		return err
	})
	return hash, err
}
