// Package recovery keeps one bad input from stopping the process: a panic
// in a SIP or HTTP handler, a WebSocket or a background goroutine is
// recovered, logged once with its stack, counted in /metrics by where it
// happened, and the server goes on serving.
package recovery

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Guard recovers panics. A nil *Guard still recovers and logs through
// slog.Default, so a component built without one is never less safe.
type Guard struct {
	log    *slog.Logger
	panics *prometheus.CounterVec
}

// New returns a guard logging to log and counting callrec_panics_total on
// reg (nil: not exported).
func New(log *slog.Logger, reg prometheus.Registerer) *Guard {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_panics_total",
		Help: "Panics recovered, by where they happened."}, []string{"where"})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				c = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return &Guard{log: log, panics: c}
}

// Recover, deferred, ends a panic of the calling goroutine: it logs the
// value and stack once and counts it under where.
func (g *Guard) Recover(where string) {
	if v := recover(); v != nil {
		g.report(where, v)
	}
}

// Handle runs fn and reports whether it panicked (recovered and logged).
func (g *Guard) Handle(where string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			g.report(where, v)
			panicked = true
		}
	}()
	fn()
	return false
}

func (g *Guard) report(where string, v any) {
	log := slog.Default()
	if g != nil && g.log != nil {
		log = g.log
	}
	log.Error("panic recovered", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if g != nil && g.panics != nil {
		g.panics.WithLabelValues(where).Inc()
	}
}

// Count is how many panics were recovered under where.
func (g *Guard) Count(where string) float64 {
	if g == nil || g.panics == nil {
		return 0
	}
	c, err := g.panics.GetMetricWithLabelValues(where)
	if err != nil {
		return 0
	}
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// Go runs fn in a goroutine that recovers a panic.
func (g *Guard) Go(where string, fn func()) {
	go func() {
		defer g.Recover(where)
		fn()
	}()
}

// Loop runs fn, a loop meant to last until ctx ends, and starts it again
// (after a second, so a panic on every turn cannot spin) when it panics.
func (g *Guard) Loop(ctx context.Context, where string, fn func(ctx context.Context)) {
	for {
		if !g.Handle(where, func() { fn(ctx) }) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// HTTP recovers a panic of next: the request is answered 500 if nothing
// was written yet, and the server goes on.
func (g *Guard) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			g.report("http "+r.Pattern, v)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"something went wrong; it was logged"}}` + "\n"))
		}()
		next.ServeHTTP(w, r)
	})
}
