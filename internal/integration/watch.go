package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
)

// WatchEvery is how often Watch reads the job from the database by
// default (Options.WatchEvery).
const WatchEvery = 500 * time.Millisecond

// Running reports whether the view's job is still to finish.
func (v View) Running() bool { return v.JobState == jobQueued || v.JobState == jobRunning }

// Finished reports whether the view's job ran to its end and left the
// integration as it meant to: connected, or disconnected.
func (v View) Finished() bool {
	return v.JobState == jobDone && len(v.Steps) > 0 &&
		(v.JobKind == jobConnect && v.Status == StatusConnected || v.JobKind == jobDisconnect && v.Status == StatusDisconnected)
}

// Watch sends the tenant's integration as it is now, then again each time
// it changes (a step starts, retries, ends), until the job has ended — the
// last view sent is the finished one — or ctx ends; then it closes the
// channel. It wakes on this process's events and also reads the database
// every Options.WatchEvery, because the worker that runs the job may be
// another process, whose events never reach this one's bus. A tenant
// without an integration gets ErrNotFound.
func (s *Service) Watch(ctx context.Context, tenantID string) (<-chan View, error) {
	bus, unsubscribe := s.bus.Subscribe(tenantID)
	v, err := s.Get(ctx, tenantID)
	if err != nil {
		unsubscribe()
		return nil, err
	}
	out := make(chan View, 1)
	out <- v
	go func() {
		defer close(out)
		defer unsubscribe()
		last, _ := json.Marshal(v)
		tick := time.NewTicker(s.watchEvery)
		defer tick.Stop()
		for v.Running() {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-bus:
				if !ok {
					return
				}
				if e.Kind != "lagged" && !strings.HasPrefix(e.Kind, "integration.") {
					continue
				}
			case <-tick.C:
			}
			next, err := s.Get(ctx, tenantID)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("integration: watch", "tenant", tenantID, "err", err)
				}
				return
			}
			b, _ := json.Marshal(next)
			if bytes.Equal(b, last) {
				continue
			}
			select {
			case out <- next:
			case <-ctx.Done():
				return
			}
			v, last = next, b
		}
	}()
	return out, nil
}
