package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/clock"
	"callrec/internal/mail"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/web"
)

// mailbox keeps the messages the auth service sends.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *mailbox) last(t *testing.T) mail.Message {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no mail sent")
	}
	return m.msgs[len(m.msgs)-1]
}

// env is a portal on a real store behind the real middleware.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	db       *store.DB
	accounts *account.Service
	auth     *auth.Service
	sso      *sso.Service
	clock    *clock.Fake
	mail     *mailbox
	tenant   store.Tenant
}

const (
	adminLogin    = "admin@contoso.example"
	adminPassword = "Contoso#2026"
)

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{t: t, db: db, clock: c, mail: &mailbox{}, accounts: account.New(db, c.Now)}
	e.auth = auth.NewService(db, auth.Options{Now: c.Now, Mail: e.mail, Log: log, PublicURL: "http://portal.test"})
	var err error
	if e.sso, err = sso.New(context.Background(), db, e.auth, sso.Options{Now: c.Now, Log: log, PublicURL: "http://portal.test"}); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(web.New(web.Deps{DB: db, Accounts: e.accounts, Auth: e.auth, SSO: e.sso, Log: log}))
	t.Cleanup(e.srv.Close)
	e.tenant = e.createTenant("Contoso", "3100008477", false)
	e.createUser(e.tenant.ID, adminLogin, "Ada Admin", "admin", adminPassword)
	return e
}

func (e *env) createTenant(name, acct string, enforce2FA bool) store.Tenant {
	e.t.Helper()
	tn, err := e.accounts.CreateTenant(context.Background(), account.System, account.TenantInput{Name: &name,
		AccountNumber: &acct, Enforce2FA: &enforce2FA, Licenses: map[string]int{"call_recording": 10, "live_monitoring": 4}})
	if err != nil {
		e.t.Fatalf("create tenant: %v", err)
	}
	return tn
}

func (e *env) createUser(tenantID, login, name, role, password string) store.User {
	e.t.Helper()
	email := "someone@contoso.example"
	u, err := e.accounts.CreateUser(context.Background(), account.System, tenantID, account.UserInput{
		Name: &name, Login: &login, Role: &role, Password: &password, Email: &email})
	if err != nil {
		e.t.Fatalf("create user %s: %v", login, err)
	}
	return u
}

// acceptTerms marks the user's current terms as accepted, so a sign-in
// lands on the home page.
func (e *env) acceptTerms(u store.User) {
	e.t.Helper()
	v, err := e.auth.TermsVersion(context.Background(), u)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.auth.AcceptTerms(context.Background(), nil, u, v, "127.0.0.1"); err != nil {
		e.t.Fatal(err)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is one response, body read.
type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form; csrf_token is taken from the page at from unless the
// form already sets it.
func (b *browser) post(from, path string, form url.Values) page {
	b.e.t.Helper()
	if _, ok := form["csrf_token"]; !ok && from != "" {
		form.Set("csrf_token", csrfOf(b.e.t, b.get(from).body))
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf_token in page:\n%s", body)
	}
	return m[1]
}

// signIn posts the sign-in form and returns the answer.
func (b *browser) signIn(login, password string) page {
	b.e.t.Helper()
	return b.post("/login", "/login", url.Values{"login": {login}, "password": {password}})
}

func mustContain(t *testing.T, p page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}
