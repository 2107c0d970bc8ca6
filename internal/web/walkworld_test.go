package web_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/clock"
	"callrec/internal/events"
	"callrec/internal/integration"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
	"callrec/internal/web"
)

// leakMark names every object of tenant B, so that a page or an answer
// that shows one to a caller of tenant A is caught by its text.
const leakMark = "BETA-SECRET"

// world is the real root handler (web.Build) on a fresh store, with the
// Teams integration and the event bus configured so that every route
// registers, two tenants A and B, and a user of every role in both.
type world struct {
	t        *testing.T
	db       *store.DB
	accounts *account.Service
	auth     *auth.Service
	server   *web.Server
	cert     string // the walk IdPs' signing certificate
	srv      *httptest.Server
	client   *http.Client
	a, b     store.Tenant
	users    map[string]store.User // "A:admin", "B:api_user", "provider"
	seq      atomic.Int64          // unique names, logins and addresses
}

// tenantRoles are the roles a tenant user may hold.
var tenantRoles = []string{roles.Admin, roles.Supervisor, roles.UserSelfView, roles.User, roles.APIUser}

func newWorld(t *testing.T, b storetest.Backend) *world {
	t.Helper()
	c := clock.NewFake()
	db := storetest.Open(t, b, c.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := &world{t: t, db: db, accounts: account.New(db, c.Now), users: map[string]store.User{}}
	w.auth = auth.NewService(db, auth.Options{Now: c.Now, Log: log})
	// Microsoft is never reached: the wizard's actions that would call it
	// are refused by the integration's state first.
	ep := teams.Endpoints{LoginURL: "http://127.0.0.1:9/ms-login", GraphURL: "http://127.0.0.1:9/graph",
		TeamsAdminURL: "http://127.0.0.1:9/teams", ClientID: "walk-app", ClientSecret: "walk-secret",
		RedirectURL: "http://callrec.test/integrations/teams/callback"}
	bus := events.NewLocal()
	teamsSvc := integration.New(db, w.accounts, integration.Options{Endpoints: ep, Bus: bus, Log: log, Now: c.Now})
	ssoSvc, err := sso.New(context.Background(), db, w.auth, sso.Options{Now: db.Now, Log: log, PublicURL: "http://callrec.test"})
	if err != nil {
		t.Fatal(err)
	}
	w.server = web.Build(web.Deps{DB: db, Accounts: w.accounts, Auth: w.auth, SSO: ssoSvc, Log: log, Events: bus, Integrations: teamsSvc})
	w.srv = httptest.NewServer(w.server)
	t.Cleanup(w.srv.Close)
	w.client = &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}

	w.a = w.tenant("Alpha")
	w.b = w.tenant("Beta " + leakMark)
	for _, role := range tenantRoles {
		w.users["A:"+role] = w.user(w.a.ID, role)
		w.users["B:"+role] = w.user(w.b.ID, role)
	}
	w.users["provider"] = w.user("", roles.ProviderAdmin)
	return w
}

func (w *world) next() int64 { return w.seq.Add(1) }

func (w *world) tenant(name string) store.Tenant {
	w.t.Helper()
	pools := map[string]int{}
	for _, lt := range store.LicenseTypes() {
		pools[lt] = 10_000
	}
	t, err := w.accounts.CreateTenant(context.Background(), account.System, account.TenantInput{Name: &name, Licenses: pools})
	if err != nil {
		w.t.Fatalf("tenant %s: %v", name, err)
	}
	return t
}

// user adds a user of the role; tenant B's are named with leakMark.
func (w *world) user(tenantID, role string) store.User {
	w.t.Helper()
	n := w.next()
	name, login := fmt.Sprintf("Walker %d %s", n, role), fmt.Sprintf("walker-%d@example.com", n)
	if tenantID == w.b.ID && tenantID != "" {
		name += " " + leakMark
	}
	u, err := w.accounts.CreateUser(context.Background(), account.System, tenantID, account.UserInput{Name: &name, Login: &login,
		Role: &role, Email: &login})
	if err != nil {
		w.t.Fatalf("user %s in %q: %v", role, tenantID, err)
	}
	return u
}

// session signs u in as the portal would, fully (2-step and terms done),
// and returns the cookie value and its CSRF token. Each request of the
// walk gets its own, so that signing out in one changes no other.
func (w *world) session(u store.User) (cookie, csrf string) {
	w.t.Helper()
	cookie, csrf = auth.RandomToken("s_"), auth.RandomToken("")
	now := w.db.Now()
	err := w.db.Q().InsertSession(context.Background(), store.Session{IDHash: auth.HashToken(cookie), UserID: u.ID, Stage: auth.StageOK,
		CSRFToken: csrf, IP: "127.0.0.1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		w.t.Fatal(err)
	}
	return cookie, csrf
}

// token mints an API token for u, whatever u's role: one for a role
// without api.access must not authenticate.
func (w *world) token(u store.User) (raw, id string) {
	w.t.Helper()
	raw, tok, err := w.auth.CreateToken(context.Background(), u, fmt.Sprintf("walk %d", w.next()))
	if err != nil {
		w.t.Fatal(err)
	}
	return raw, tok.ID
}

// walker is one caller of the walk: a role, the tenant whose objects are
// its own, and the tenant it picks (a provider admin acting in A).
type walker struct {
	name   string
	user   store.User // zero for anonymous
	own    string     // tenant of its own objects ("" in the provider's view)
	pick   string     // X-Tenant-ID
	bearer string     // its API token ("" for anonymous)
}

func (c walker) anonymous() bool { return c.user.ID == "" }

// walkers are every role of tenant A, the provider admin acting in A and
// in its own view, and a visitor without credentials.
func (w *world) walkers() []walker {
	out := []walker{{name: "anonymous"}}
	for _, role := range tenantRoles {
		u := w.users["A:"+role]
		raw, _ := w.token(u)
		out = append(out, walker{name: role, user: u, own: w.a.ID, bearer: raw})
	}
	p := w.users["provider"]
	raw, _ := w.token(p)
	out = append(out, walker{name: "provider_admin in A", user: p, own: w.a.ID, pick: w.a.ID, bearer: raw},
		walker{name: "provider_admin (provider view)", user: p, bearer: raw})
	return out
}

// answer is what one request got.
type answer struct {
	status   int
	location string
	body     string
}

// code is the API error's code, "" for anything else.
func (a answer) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(a.body), &e)
	return e.Error.Code
}

// formToken is the visitor's pre-session form token the public forms check.
const formToken = "walk-form-token-0123456789abcdef0123456789"

// send makes one request as c through door ("api" or "portal"): the API
// with a bearer token for roles holding api.access (and for roles with no
// door at all, to prove it is refused), else with a session; the portal
// always with a session. Changes carry their CSRF token (the form token
// on public pages) and a harmless body ({} for the API, unless given).
func (w *world) send(door string, c walker, method, path string, public bool, apiBody string) answer {
	w.t.Helper()
	var cookie, csrf string
	useToken := door == "api" && (roles.Has(c.user.Role, roles.APIAccess) || !roles.Has(c.user.Role, roles.PortalAccess))
	if !c.anonymous() && !useToken {
		cookie, csrf = w.session(c.user)
	}
	body, ctype := "", ""
	switch {
	case method == http.MethodGet || method == http.MethodDelete && door == "api":
	case door == "api":
		body, ctype = cmp.Or(apiBody, "{}"), "application/json"
	default:
		form := "csrf_token=" + csrf
		if public {
			form = "csrf_token=" + formToken
		}
		body, ctype = form, "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.AddCookie(&http.Cookie{Name: "callrec_form", Value: formToken})
	if useToken && c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "callrec_session", Value: cookie})
		req.Header.Set("X-CSRF-Token", csrf)
		// What a browser sends for the portal's own scripts (the player's
		// fetch of a call's audio among them).
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		req.Header.Set("Sec-Fetch-Dest", "empty")
	}
	if c.pick != "" {
		req.Header.Set("X-Tenant-ID", c.pick)
	}
	return w.do(req)
}

func (w *world) do(req *http.Request) answer {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := w.client.Do(req.WithContext(ctx))
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode, location: res.Header.Get("Location")}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") { // a stream stays open: headers suffice
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		a.body = string(b)
	}
	return a
}
