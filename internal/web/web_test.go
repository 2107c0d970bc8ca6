package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/recovery"
	"callrec/internal/store/storetest"
	"callrec/internal/web"
)

// TestPanicRecoveredThroughWebNew drives the real root handler: a route
// that panics (the Teams webhook, here a stand-in) answers 500 with the
// API's error body, the panic is logged once with its stack and counted in
// /metrics, and the server goes on serving.
func TestPanicRecoveredThroughWebNew(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b, nil)
		logs := &lockedBuffer{}
		log := slog.New(slog.NewTextHandler(logs, nil))
		reg := web.NewRegistry()
		bot := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("malformed notification") })
		srv := httptest.NewServer(web.New(web.Deps{DB: db, Accounts: account.New(db, nil), Auth: auth.NewService(db, auth.Options{Log: log}),
			Log: log, Bot: bot, Metrics: reg, Guard: recovery.New(log, reg)}))
		defer srv.Close()

		get := func(method, path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(body)
		}
		for range 2 {
			if st, body := get("POST", "/api/teams/calling"); st != http.StatusInternalServerError || !strings.Contains(body, `"code":"internal"`) {
				t.Fatalf("panicking route answered %d %s, want 500 internal", st, body)
			}
		}
		if st, _ := get("GET", "/healthz"); st != http.StatusOK {
			t.Fatalf("healthz after the panics: %d", st)
		}
		_, metrics := get("GET", "/metrics")
		if !strings.Contains(metrics, `callrec_panics_total{where="http POST /api/teams/calling"} 2`) {
			t.Errorf("metrics lack the panics:\n%s", metrics)
		}
		if n := strings.Count(logs.String(), "panic recovered"); n != 2 || !strings.Contains(logs.String(), "web_test.go") {
			t.Errorf("want each panic logged once with its stack, got %d:\n%s", n, logs.String())
		}
	})
}

// lockedBuffer is a log sink the test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
