package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/recorder"
	"callrec/internal/recovery"
	"callrec/internal/roles"
	"callrec/internal/store"
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
		metrics := scrape(t, srv.URL, providerToken(t, db))
		if !strings.Contains(metrics, `callrec_panics_total{where="http POST /api/teams/calling"} 2`) {
			t.Errorf("metrics lack the panics:\n%s", metrics)
		}
		if n := strings.Count(logs.String(), "panic recovered"); n != 2 || !strings.Contains(logs.String(), "web_test.go") {
			t.Errorf("want each panic logged once with its stack, got %d:\n%s", n, logs.String())
		}
	})
}

// providerToken creates a provider admin and returns a bearer token of theirs.
func providerToken(t *testing.T, db *store.DB) string {
	t.Helper()
	ctx := context.Background()
	name, login, role, pw := "Provider", "provider", roles.ProviderAdmin, "Provider#2026"
	u, err := account.New(db, nil).CreateUser(ctx, account.System, "", account.UserInput{Name: &name, Login: &login, Role: &role, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := auth.NewService(db, auth.Options{}).CreateToken(ctx, u, "metrics")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// scrape reads /metrics with a bearer token.
func scrape(t *testing.T, base, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("metrics with a provider token: %d %s", res.StatusCode, body)
	}
	return string(body)
}

// TestMetricsNeedTheProvider: /metrics describes every tenant's traffic,
// so it answers only a caller with metrics.view; and when it listens on
// its own address it is not on the public one at all, nor are the
// node-to-node routes when they have theirs.
func TestMetricsNeedTheProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		db := storetest.Open(t, b, nil)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		accounts := account.New(db, nil)
		authSvc := auth.NewService(db, auth.Options{Log: log})
		srv := httptest.NewServer(web.New(web.Deps{DB: db, Accounts: accounts, Auth: authSvc, Log: log, PublicURL: "https://rec.example"}))
		defer srv.Close()
		ctx := context.Background()
		tname := "Contoso"
		tn, err := accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &tname})
		if err != nil {
			t.Fatal(err)
		}
		name, login, role, pw := "Ada", "ada", roles.Admin, "Contoso#2026"
		admin, err := accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &name, Login: &login, Role: &role, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		adminToken, _, _ := authSvc.CreateToken(ctx, admin, "x")
		for _, c := range []struct {
			token string
			want  int
		}{{"", http.StatusUnauthorized}, {adminToken, http.StatusForbidden}} {
			req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Errorf("metrics with token %v: %d, want %d", c.token != "", res.StatusCode, c.want)
			}
			if res.Header.Get("Strict-Transport-Security") == "" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "base-uri 'none'") {
				t.Errorf("headers %v: want HSTS behind an https public URL and base-uri 'none'", res.Header)
			}
		}
		if body := scrape(t, srv.URL, providerToken(t, db)); !strings.Contains(body, "go_goroutines") {
			t.Errorf("provider scrape: %.300s", body)
		}
		private := httptest.NewServer(web.New(web.Deps{DB: db, Accounts: accounts, Auth: authSvc, Log: log, MetricsElsewhere: true, InternalElsewhere: true,
			Recordings: &recorder.Library{Nodes: &recorder.Nodes{DB: db, Self: "a", Key: []byte("k")}}}))
		defer private.Close()
		// Registered, both answer an anonymous caller 401; not, the portal's
		// catch-all answers.
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, path := range []string{"/metrics", "/internal/v1/spool/x/mix.wav"} {
			for _, c := range []struct {
				base       string
				registered bool
			}{{srv.URL, true}, {private.URL, false}} {
				res, err := noRedirect.Get(c.base + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if got := res.StatusCode == http.StatusUnauthorized; got != c.registered && path == "/metrics" {
					t.Errorf("%s registered=%v answered %d", path, c.registered, res.StatusCode)
				}
				if !c.registered && res.StatusCode == http.StatusUnauthorized {
					t.Errorf("%s served on the public listener when it has its own: %d", path, res.StatusCode)
				}
			}
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
