package integration_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/clock"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/msemu/mstest"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/secretbox"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
	"callrec/internal/ui"
)

// world is callrec (API + integration service) and the Microsoft emulator,
// both on real sockets, with a signed-in callrec tenant admin.
type world struct {
	t        *testing.T
	clock    *clock.Fake
	db       *store.DB
	accounts *account.Service
	emu      *msemu.Emulator
	ms       *httptest.Server
	callrec  *httptest.Server
	ep       teams.Endpoints
	svc      *integration.Service
	box      *secretbox.Box
	admin    *session
	tenantID string
	slept    time.Duration
}

const replication = 10 * time.Second

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	w := &world{t: t, clock: clock.NewFake()}
	w.db = storetest.Open(t, b, w.clock.Now)
	w.accounts = account.New(w.db, w.clock.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	w.ms = httptest.NewUnstartedServer(nil)
	w.callrec = httptest.NewUnstartedServer(nil)
	w.ms.Start()
	w.callrec.Start()
	t.Cleanup(w.ms.Close)
	t.Cleanup(w.callrec.Close)
	emu, err := msemu.New(msemu.Options{BaseURL: w.ms.URL, Clock: w.clock, ReplicationDelay: replication,
		AppRedirectPrefix: w.callrec.URL + "/", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	w.emu = emu
	w.ms.Config.Handler = emu
	cfg := emu.Config()
	w.ep = teams.Endpoints{LoginURL: cfg.LoginURL, GraphURL: cfg.GraphURL, TeamsAdminURL: cfg.TeamsAdminURL,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: w.callrec.URL + api.CallbackPath}
	w.box, err = secretbox.Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w.svc = w.newService("worker-1", 6)
	authSvc := auth.NewService(w.db, auth.Options{Now: w.clock.Now, Log: log})
	mux := http.NewServeMux()
	calls := &recordings.Service{DB: w.db, Accounts: w.accounts, Log: log, Now: w.db.Now}
	(&api.Handler{Accounts: w.accounts, Auth: authSvc, Calls: calls, Log: log, Integrations: w.svc}).Register(mux)
	(&ui.Handler{Accounts: w.accounts, Auth: authSvc, Calls: calls, Log: log, Integrations: w.svc}).Register(mux)
	w.callrec.Config.Handler = (&principal.Resolver{Auth: authSvc, DB: w.db}).Middleware(mux)

	ctx := context.Background()
	name, login, pw, role := "Contoso", "admin@contoso.example", "Contoso#2026", roles.Admin
	tn, err := w.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	w.tenantID = tn.ID
	if _, err := w.accounts.CreateUser(ctx, account.System, tn.ID, account.UserInput{Name: &name, Login: &login, Password: &pw, Role: &role}); err != nil {
		t.Fatal(err)
	}
	w.admin = w.signIn(login, pw)
	return w
}

// newService builds an integration service; its Sleep advances the fake
// clock instead of waiting.
func (w *world) newService(owner string, attempts int) *integration.Service {
	return integration.New(w.db, w.accounts, integration.Options{Endpoints: w.ep, Box: w.box, Now: w.clock.Now, Owner: owner,
		Attempts: attempts, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), WatchEvery: 20 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error {
			w.slept += d
			w.clock.Advance(d)
			return nil
		}})
}

// runJobs runs queued jobs until none is left.
func (w *world) runJobs(svc *integration.Service) {
	w.t.Helper()
	for i := 0; i < 20; i++ {
		ran, err := svc.RunOnce(context.Background())
		if !ran {
			return
		}
		_ = err // a failed job is visible in the integration's status
	}
	w.t.Fatal("jobs kept running")
}

// session is a browser: one cookie jar for callrec and the emulator.
type session struct {
	*mstest.Browser
	w    *world
	csrf string
}

func (w *world) browser() *session {
	return &session{w: w, Browser: mstest.New(w.t, w.ms.URL, api.IntegrationPagePath, "/test-redirect")}
}

func (w *world) signIn(login, pw string) *session {
	w.t.Helper()
	s := w.browser()
	var out struct {
		CSRF  string `json:"csrf_token"`
		Stage string `json:"stage"`
	}
	s.json("POST", "/api/v1/session", map[string]string{"login": login, "password": pw}, http.StatusOK, &out)
	s.csrf = out.CSRF
	if out.Stage == "terms" {
		s.json("POST", "/api/v1/me/terms", map[string]int{"version": 1}, http.StatusOK, nil)
	}
	return s
}

// json calls callrec's API and checks the status.
func (s *session) json(method, path string, body any, want int, out any) string {
	s.w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.w.callrec.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	res, err := s.C.Do(req)
	if err != nil {
		s.w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		s.w.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.w.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return string(raw)
}

func (s *session) integration() integration.View {
	s.w.t.Helper()
	var v integration.View
	s.json("GET", "/api/v1/integrations/teams", nil, http.StatusOK, &v)
	return v
}

func redirectURL(t *testing.T, s *session, path string) string {
	t.Helper()
	var out struct {
		URL string `json:"redirect_url"`
	}
	s.json("POST", path, nil, http.StatusOK, &out)
	return out.URL
}

const (
	adele    = "AdeleV@" + msemu.ContosoDomain
	adelePW  = msemu.AdminPassword
	domain   = msemu.ContosoDomain
	contosoT = msemu.ContosoTenantID
)

// connect runs Steps 1–3 with cfg and applies it with the world's service.
func (w *world) connect(cfg integration.Config) integration.View {
	w.t.Helper()
	w.queueApply(cfg)
	w.runJobs(w.svc)
	return w.admin.integration()
}

// queueApply runs Steps 1–3 with cfg and presses Apply; no job runs yet.
func (w *world) queueApply(cfg integration.Config) {
	w.t.Helper()
	s := w.admin
	s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusCreated, nil)
	s.Microsoft(redirectURL(w.t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
	if v := s.integration(); v.Status != integration.StatusAuthorized {
		w.t.Fatalf("after sign-in: %s (%s)", v.Status, v.Resources.Notice)
	}
	s.Microsoft(redirectURL(w.t, s, "/api/v1/integrations/teams/consent"), adele, adelePW, "accept")
	if v := s.integration(); v.Status != integration.StatusConsented {
		w.t.Fatalf("after consent: %s (%s)", v.Status, v.Resources.Notice)
	}
	s.json("PUT", "/api/v1/integrations/teams/config", cfg, http.StatusOK, nil)
	s.json("POST", "/api/v1/integrations/teams/apply", nil, http.StatusAccepted, nil)
}

// addToGroup adds a user to a group in the admin center, as the guide says.
func (w *world) addToGroup(groupID, upn string) {
	w.t.Helper()
	b := mstest.New(w.t, w.ms.URL)
	b.AdminSignIn(adele, adelePW)
	w.clock.Advance(2 * replication) // the new group must be visible in the admin center
	b.AddMember(groupID, upn)
}
