package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"callrec/internal/account"
	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/clock"
	"callrec/internal/evaluations"
	"callrec/internal/mail"
	"callrec/internal/principal"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
)

// env is a running API on a fresh database with two tenants and a user of
// every role.
type env struct {
	t        *testing.T
	db       *store.DB
	accounts *account.Service
	auth     *auth.Service
	mailbox  mailbox
	clock    *clock.Fake
	sso      *sso.Service
	srv      *httptest.Server
	tenantA  store.Tenant
	tenantB  store.Tenant
	users    map[string]store.User // by key such as "A:admin"
}

const testPassword = "Secret#2026"

func newEnv(t *testing.T, b storetest.Backend, tune ...func(*auth.Options)) *env {
	t.Helper()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	e := &env{t: t, db: db, clock: c, users: map[string]store.User{}}
	e.accounts = account.New(db, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := auth.Options{Now: c.Now, Log: log, PublicURL: "http://callrec.test", Mail: &e.mailbox}
	for _, f := range tune {
		f(&opts)
	}
	e.auth = auth.NewService(db, opts)
	mux := http.NewServeMux()
	calls := &recordings.Service{DB: db, Accounts: e.accounts, Log: log, Now: db.Now}
	var err error
	if e.sso, err = sso.New(context.Background(), db, e.auth, sso.Options{Now: c.Now, Log: log, PublicURL: "http://callrec.test"}); err != nil {
		t.Fatal(err)
	}
	evals := &evaluations.Service{DB: db, Accounts: e.accounts, Calls: calls}
	(&api.Handler{Accounts: e.accounts, Auth: e.auth, Calls: calls, Evaluations: evals, Log: log, SSO: e.sso}).Register(mux)
	resolver := &principal.Resolver{Auth: e.auth, DB: db}
	e.srv = httptest.NewServer(resolver.Middleware(mux))
	t.Cleanup(e.srv.Close)

	ctx := context.Background()
	e.tenantA = e.mustTenant(ctx, "Alpha", 10)
	e.tenantB = e.mustTenant(ctx, "Beta", 10)
	for _, role := range []string{roles.Admin, roles.Supervisor, roles.UserSelfView, roles.User, roles.APIUser} {
		e.users["A:"+role] = e.mustUser(ctx, e.tenantA.ID, "a-"+role, role)
	}
	e.users["B:admin"] = e.mustUser(ctx, e.tenantB.ID, "b-admin", roles.Admin)
	e.users["provider"] = e.mustUser(ctx, "", "provider", roles.ProviderAdmin)
	return e
}

// mailbox captures mail for reset-link tests.
type mailbox struct {
	mu   sync.Mutex
	sent []string
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg.Body)
	return nil
}

func (e *env) mustTenant(ctx context.Context, name string, pool int) store.Tenant {
	e.t.Helper()
	pools := map[string]int{}
	for _, lt := range store.LicenseTypes() {
		pools[lt] = pool
	}
	tn, err := e.accounts.CreateTenant(ctx, account.System, account.TenantInput{Name: &name, Licenses: pools})
	if err != nil {
		e.t.Fatalf("tenant %s: %v", name, err)
	}
	return tn
}

func (e *env) mustUser(ctx context.Context, tenantID, login, role string) store.User {
	e.t.Helper()
	name := strings.ToUpper(login[:1]) + login[1:]
	pw := testPassword
	email := login + "@example.com"
	u, err := e.accounts.CreateUser(ctx, account.System, tenantID, account.UserInput{Name: &name, Login: &login, Role: &role, Password: &pw, Email: &email})
	if err != nil {
		e.t.Fatalf("user %s: %v", login, err)
	}
	return u
}

// client is an API caller: a bearer token or a session cookie with CSRF.
type client struct {
	e      *env
	bearer string
	cookie string
	csrf   string
	tenant string // X-Tenant-ID
	// player sends what a browser sends for the portal's player (Fetch
	// Metadata of a same-origin fetch).
	player bool
}

func (e *env) tokenClient(key string) *client {
	e.t.Helper()
	raw, _, err := e.auth.CreateToken(context.Background(), e.users[key], "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{e: e, bearer: raw}
}

// sessionClient signs in through the API and keeps the cookie and CSRF token.
func (e *env) sessionClient(login, password, code string) (*client, *response) {
	c := &client{e: e}
	res := c.do("POST", "/api/v1/session", map[string]string{"login": login, "password": password, "code": code})
	if res.status == http.StatusOK {
		for _, ck := range res.cookies {
			if ck.Name == principal.CookieName {
				c.cookie = ck.Value
			}
		}
		c.csrf, _ = res.body["csrf_token"].(string)
	}
	return c, res
}

type response struct {
	status  int
	body    map[string]any
	raw     string
	cookies []*http.Cookie
	header  http.Header
}

func (r *response) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r *response) field(name string) string {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[name].(string)
	return s
}

func (r *response) items() []any {
	it, _ := r.body["items"].([]any)
	return it
}

func (c *client) do(method, path string, body any) *response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: principal.CookieName, Value: c.cookie})
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	if c.tenant != "" {
		req.Header.Set("X-Tenant-ID", c.tenant)
	}
	if c.player {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		req.Header.Set("Sec-Fetch-Dest", "empty")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &response{status: resp.StatusCode, raw: string(raw), cookies: resp.Cookies(), header: resp.Header}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (c *client) want(status int, method, path string, body any) *response {
	c.e.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.raw)
	}
	return r
}
