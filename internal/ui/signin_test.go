package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"callrec/internal/account"
	"callrec/internal/store/storetest"
)

func TestSignInPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		e.acceptTerms(admin)
		e.createUser(e.tenant.ID, "agent@contoso.example", "Alan Agent", "user", "Agent#2026x")
		e.createUser(e.tenant.ID, "lock@contoso.example", "Lee Locked", "admin", "Locked#2026")

		cases := []struct {
			name, login, password string
			tries                 int
			status                int
			location              string
			want                  string
		}{
			{"success", adminLogin, adminPassword, 1, http.StatusSeeOther, "/", ""},
			{"wrong password", adminLogin, "Wrong#2026", 1, http.StatusUnauthorized, "", "The login or password is not correct."},
			{"unknown login", "nobody@contoso.example", "Wrong#2026", 1, http.StatusUnauthorized, "", "The login or password is not correct."},
			{"no portal access", "agent@contoso.example", "Agent#2026x", 1, http.StatusForbidden, "", "may not use the web portal"},
			{"locked", "lock@contoso.example", "Wrong#2026", 5, http.StatusLocked, "", "This account is locked"},
			{"empty", "", "", 1, http.StatusBadRequest, "", "Enter your login and password."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				br := e.browser()
				var p page
				for range c.tries {
					p = br.signIn(c.login, c.password)
				}
				if p.status != c.status || p.location != c.location {
					t.Fatalf("status %d location %q, want %d %q\n%s", p.status, p.location, c.status, c.location, p.body)
				}
				mustContain(t, p, c.want)
			})
		}

		t.Run("locked shows until-time", func(t *testing.T) {
			p := e.browser().signIn("lock@contoso.example", "Locked#2026")
			until := e.clock.Now().Add(time.Minute) // a lock at 23:59 ends the next day
			mustContain(t, p, "Try again after "+until.Format("15:04"), "UTC on "+until.Format("2 Jan 2006"))
		})

		t.Run("home after sign-in", func(t *testing.T) {
			br := e.browser()
			br.signIn(adminLogin, adminPassword)
			p := br.get("/")
			if p.status != http.StatusOK {
				t.Fatalf("home: %d", p.status)
			}
			mustContain(t, p, "Welcome, Ada Admin", "Teams Admin | Admin", "Contoso", "Call recording", "0 of 10 used",
				`href="/admin"`, `href="/account/tokens"`, "Sign out")
			if strings.Contains(p.body, `action="/tenant"`) {
				t.Error("a tenant admin sees the tenant switcher")
			}
		})

		t.Run("next redirect stays on site", func(t *testing.T) {
			br := e.browser()
			p := br.get("/admin/roles")
			if p.status != http.StatusSeeOther || p.location != "/login?next=%2Fadmin%2Froles" {
				t.Fatalf("anonymous roles page: %d %q", p.status, p.location)
			}
			p = br.post(p.location, "/login", url.Values{"login": {adminLogin}, "password": {adminPassword}, "next": {"/admin/roles"}})
			if p.location != "/admin/roles" {
				t.Fatalf("after sign-in to %q", p.location)
			}
			p = e.browser().post("/login", "/login", url.Values{"login": {adminLogin}, "password": {adminPassword}, "next": {"//evil.example/x"}})
			if p.location != "/" {
				t.Fatalf("offsite next followed: %q", p.location)
			}
		})

		t.Run("sign out", func(t *testing.T) {
			br := e.browser()
			br.signIn(adminLogin, adminPassword)
			p := br.post("/", "/logout", url.Values{})
			if p.status != http.StatusSeeOther || p.location != "/login" {
				t.Fatalf("logout: %d %q", p.status, p.location)
			}
			mustContain(t, br.get("/login"), "You are signed out.")
			if p := br.get("/"); p.location != "/login" {
				t.Fatalf("home after sign-out: %d %q", p.status, p.location)
			}
		})
	})
}

func TestCSRFRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		e.acceptTerms(admin)
		br := e.browser()
		br.signIn(adminLogin, adminPassword)

		cases := []struct {
			name, path string
			form       url.Values
		}{
			{"create token without token", "/account/tokens", url.Values{"name": {"x"}}},
			{"create token with wrong token", "/account/tokens", url.Values{"name": {"x"}, "csrf_token": {"forged"}}},
			{"sign out", "/logout", url.Values{"csrf_token": {""}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := br.post("", c.path, c.form)
				if p.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", p.status)
				}
				mustContain(t, p, "This form has expired", "nothing was changed")
			})
		}
		ts, err := e.db.Q().ListTokens(context.Background(), e.tenant.ID, admin.ID)
		if err != nil || len(ts) != 0 {
			t.Fatalf("forged posts created tokens: %v %v", ts, err)
		}
		if p := br.get("/"); p.status != http.StatusOK {
			t.Fatalf("forged sign-out ended the session: %d", p.status)
		}

		t.Run("sign-in form without its cookie", func(t *testing.T) {
			p := e.browser().post("", "/login", url.Values{"login": {adminLogin}, "password": {adminPassword}, "csrf_token": {"x"}})
			if p.status != http.StatusForbidden {
				t.Fatalf("status %d", p.status)
			}
		})

		t.Run("oversized form", func(t *testing.T) {
			p := br.post("/account/tokens", "/account/tokens", url.Values{"name": {strings.Repeat("x", 70<<10)}})
			if p.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d", p.status)
			}
		})
	})
}

func TestTenantSwitcher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.createTenant("Fabrikam", "3100008478", false)
		prov := e.createUser("", "provider", "Pat Provider", "provider_admin", "Provider#2026")
		e.acceptTerms(prov)
		br := e.browser()
		if p := br.signIn("provider", "Provider#2026"); p.location != "/" {
			t.Fatalf("provider sign-in: %d %q %s", p.status, p.location, p.body)
		}
		p := br.get("/")
		mustContain(t, p, "Provider view", "Contoso", "Fabrikam", "3100008477", "0 / 10", `action="/tenant"`)

		p = br.post("/", "/tenant", url.Values{"tenant_id": {e.tenant.ID}})
		if p.status != http.StatusSeeOther || p.location != "/" {
			t.Fatalf("switch: %d %q", p.status, p.location)
		}
		p = br.get("/")
		mustContain(t, p, "You are now acting in the selected tenant.", "You are acting in tenant <strong>Contoso</strong>",
			"0 of 10 used", `selected>Contoso</option>`)

		if p := br.post("/", "/tenant", url.Values{"tenant_id": {"no-such-tenant"}}); p.status != http.StatusNotFound {
			t.Fatalf("unknown tenant: %d", p.status)
		}
		p = br.post("/", "/tenant", url.Values{"tenant_id": {""}})
		mustContain(t, br.get("/"), "You are back in the provider view.", "Provider view")

		t.Run("tenant admin may not switch", func(t *testing.T) {
			admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
			e.acceptTerms(admin)
			ab := e.browser()
			ab.signIn(adminLogin, adminPassword)
			if p := ab.post("/", "/tenant", url.Values{"tenant_id": {e.tenant.ID}}); p.status != http.StatusForbidden {
				t.Fatalf("tenant admin switch: %d", p.status)
			}
		})
	})
}

func TestRolesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		e.acceptTerms(admin)
		sv := e.createUser(e.tenant.ID, "sup@contoso.example", "Sue Supervisor", "supervisor", "Super#2026")
		e.acceptTerms(sv)

		br := e.browser()
		br.signIn(adminLogin, adminPassword)
		p := br.get("/admin/roles")
		mustContain(t, p, "Manage Users", "Teams Supervisor | Supervisor", "User Self View", "API User",
			"cannot be edited", "Listen to active calls", "Pause and resume recording during a live call")
		if strings.Contains(p.body, "recordings.pause_resume") {
			t.Error("the Roles page shows a permission code instead of its description")
		}
		if strings.Contains(p.body, "Provider Admin") {
			t.Error("tenant admin sees the provider role")
		}

		sb := e.browser()
		sb.signIn("sup@contoso.example", "Super#2026")
		if p := sb.get("/admin/roles"); p.status != http.StatusForbidden {
			t.Fatalf("supervisor roles page: %d", p.status)
		}
		if p := sb.get("/"); strings.Contains(p.body, `href="/admin"`) || strings.Contains(p.body, "/account/tokens") {
			t.Error("supervisor sees sections their role does not grant")
		}
		_ = account.System
	})
}
