package recorder_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"callrec/internal/recorder"
	"callrec/internal/recovery"
	"callrec/internal/store/storetest"
)

// TestFinisherSurvivesPanic: an upload that panics is logged once with
// its stack and counted in the metrics, and the finisher goes on to store
// the next call.
func TestFinisherSurvivesPanic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		logs := &lockedBuffer{}
		reg := prometheus.NewRegistry()
		guard := recovery.New(slog.New(slog.NewTextHandler(logs, nil)), reg)
		e := newEnv(t, b, 0, func(c *recorder.Config) { c.Guard = guard })
		var once sync.Once
		e.blobs.mu.Lock()
		e.blobs.hold = func() { once.Do(func() { panic("blob client bug") }) }
		e.blobs.mu.Unlock()
		evs, stop := e.bus.Subscribe(e.tenant.ID)
		defer stop()

		e.endedCall()
		waitUntil(t, 30*time.Second, "the panic recovered", func() bool { return guard.Count("recorder finisher") == 1 })
		next := e.endedCall()
		waitEvent(t, evs, "call.stored", next, 30*time.Second)

		out := logs.String()
		if n := strings.Count(out, "panic recovered"); n != 1 || !strings.Contains(out, "panic_test.go") {
			t.Errorf("want one panic logged with its stack, got %d:\n%s", n, out)
		}
		srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		defer srv.Close()
		res, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `callrec_panics_total{where="recorder finisher"} 1`) {
			t.Errorf("metrics lack the panic:\n%s", body)
		}
	})
}
