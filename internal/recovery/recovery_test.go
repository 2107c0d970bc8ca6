package recovery

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestHTTPRecoversAndCounts(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	g := New(slog.New(slog.NewTextHandler(&logs, nil)), reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("bad input") })
	mux.HandleFunc("GET /fine", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(g.HTTP(mux))
	defer srv.Close()
	for range 2 {
		res, err := http.Get(srv.URL + "/boom")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusInternalServerError {
			t.Fatalf("panicking handler answered %d, want 500", res.StatusCode)
		}
	}
	res, err := http.Get(srv.URL + "/fine")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("server stopped serving after a panic: %v %v", res, err)
	}
	res.Body.Close()
	if n := g.Count("http GET /boom"); n != 2 {
		t.Errorf("counted %v panics, want 2", n)
	}
	if got := strings.Count(logs.String(), "panic recovered"); got != 2 || !strings.Contains(logs.String(), "recovery_test.go") {
		t.Errorf("want one log line with a stack per panic, got %d:\n%s", got, logs.String())
	}
	res, _ = http.Get(srv.URL + "/metrics")
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	if !strings.Contains(b.String(), `callrec_panics_total{where="http GET /boom"} 2`) {
		t.Errorf("metrics lack the panic count:\n%s", b.String())
	}
}

func TestLoopRestartsAfterPanic(t *testing.T) {
	g := New(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	g.Loop(ctx, "loop", func(ctx context.Context) {
		if runs.Add(1) == 1 {
			panic("first turn")
		}
		cancel()
		<-ctx.Done()
	})
	if runs.Load() != 2 || g.Count("loop") != 1 {
		t.Errorf("runs %d, panics %v; want 2 and 1", runs.Load(), g.Count("loop"))
	}
}

func TestNilGuardStillRecovers(t *testing.T) {
	var g *Guard
	if !g.Handle("nil", func() { panic("x") }) {
		t.Error("panic not reported")
	}
	done := make(chan struct{})
	g.Go("nil", func() { defer close(done); panic("y") })
	<-done
}
