package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/store/storetest"
)

var (
	secretRE = regexp.MustCompile(`<p class="secret" id="secret"><code>([A-Z2-7 ]+)</code>`)
	codeRE   = regexp.MustCompile(`<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>`)
)

func TestEnrolmentFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		secure := e.createTenant("Secure Corp", "3100009000", true)
		e.createUser(secure.ID, "sam@secure.example", "Sam Secure", "admin", "Secure#2026")
		br := e.browser()

		p := br.signIn("sam@secure.example", "Secure#2026")
		if p.location != "/two-factor/setup" {
			t.Fatalf("enforced sign-in went to %q", p.location)
		}
		if p := br.get("/"); p.location != "/two-factor/setup" {
			t.Fatalf("home before enrolment: %d %q", p.status, p.location)
		}
		mustContain(t, br.get("/two-factor/setup"), "requires 2-step verification", "Begin setup")

		p = br.post("/two-factor/setup", "/two-factor/setup", url.Values{})
		mustContain(t, p, `src="data:image/png;base64,`, "Enter the 6-digit code")
		m := secretRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no secret on page:\n%s", p.body)
		}
		secret := strings.ReplaceAll(m[1], " ", "")

		bad := br.post("/two-factor/setup", "/two-factor/confirm", url.Values{"code": {"000000"}})
		if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, m[1]) {
			t.Fatalf("wrong code: %d, secret shown again: %v", bad.status, strings.Contains(bad.body, m[1]))
		}

		code, err := auth.TOTPCode(secret, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		p = br.post("/two-factor/setup", "/two-factor/confirm", url.Values{"code": {code}})
		codes := codeRE.FindAllStringSubmatch(p.body, -1)
		if p.status != http.StatusOK || len(codes) != 10 {
			t.Fatalf("confirm: %d with %d codes\n%s", p.status, len(codes), p.body)
		}
		mustContain(t, p, "shown only this once", `href="/terms"`, "I saved these codes")

		// New tenant users still owe the terms.
		p = br.get("/terms")
		mustContain(t, p, "Version 1", "I accept the terms and conditions")
		p = br.post("/terms", "/terms", url.Values{"version": {"1"}})
		if p.location != "/" {
			t.Fatalf("accept terms went to %q", p.location)
		}
		mustContain(t, br.get("/"), "Welcome, Sam Secure", "badge-ok")

		// Next sign-in asks for a code; a recovery code works once.
		br.post("/", "/logout", url.Values{})
		if p := br.signIn("sam@secure.example", "Secure#2026"); p.location != "/two-factor" {
			t.Fatalf("second sign-in went to %q", p.location)
		}
		recovery := codes[0][1]
		if p := br.post("/two-factor", "/two-factor", url.Values{"code": {recovery}}); p.location != "/" {
			t.Fatalf("recovery code: %d %q\n%s", p.status, p.location, p.body)
		}
		mustContain(t, br.get("/account/security"), "<strong>9</strong> unused recovery codes")

		br2 := e.browser()
		br2.signIn("sam@secure.example", "Secure#2026")
		p = br2.post("/two-factor", "/two-factor", url.Values{"code": {recovery}})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("reused recovery code: %d", p.status)
		}
		mustContain(t, p, "That code is not valid.")

		// Regenerating gives a fresh set from the Security page.
		p = br.post("/account/security", "/account/security/recovery-codes", url.Values{})
		if n := len(codeRE.FindAllStringSubmatch(p.body, -1)); n != 10 {
			t.Fatalf("regenerated %d codes", n)
		}
	})
}

func TestTermsVersionChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		e.acceptTerms(admin)
		if p := e.browser().signIn(adminLogin, adminPassword); p.location != "/" {
			t.Fatalf("accepted terms: went to %q", p.location)
		}

		v := 2
		if _, err := e.accounts.UpdateTenant(context.Background(), account.System, e.tenant.ID, account.TenantInput{TermsVersion: &v}, true); err != nil {
			t.Fatal(err)
		}
		br := e.browser()
		if p := br.signIn(adminLogin, adminPassword); p.location != "/terms" {
			t.Fatalf("after version change: went to %q", p.location)
		}
		if p := br.get("/admin/roles"); p.location != "/terms" {
			t.Fatalf("roles before accepting: %d %q", p.status, p.location)
		}
		mustContain(t, br.get("/terms"), "Version 2")

		if p := br.post("/terms", "/terms", url.Values{"version": {"1"}}); p.status != http.StatusConflict {
			t.Fatalf("stale version accepted: %d", p.status)
		}
		if p := br.post("/terms", "/terms", url.Values{"version": {strconv.Itoa(v)}}); p.location != "/" {
			t.Fatalf("accept: %d %q", p.status, p.location)
		}
		mustContain(t, br.get("/"), "the terms and conditions are accepted")
		mustContain(t, br.get("/terms"), "you accepted this version")
	})
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		br := e.browser()

		known := br.post("/forgot-password", "/forgot-password", url.Values{"login": {adminLogin}})
		unknown := br.post("/forgot-password", "/forgot-password", url.Values{"login": {"nobody@example"}})
		if known.status != http.StatusOK || known.body != unknown.body {
			t.Fatalf("forgot password answers differ for known and unknown logins")
		}
		mustContain(t, known, "a link to choose a new password is on its way")

		e.auth.FlushMail() // mails go out in the background
		link := regexp.MustCompile(`/reset-password\?token=\S+`).FindString(e.mail.last(t).Body)
		if link == "" {
			t.Fatalf("no link in mail: %q", e.mail.last(t).Body)
		}
		tok := strings.TrimPrefix(link, "/reset-password?token=")
		mustContain(t, br.get(link), "Password rule:", "8 to 30 characters", "capital letter", "special character")

		cases := []struct {
			name, pw, confirm string
			status            int
			want              string
		}{
			{"mismatch", "Newpass#2026", "Newpass#2027", http.StatusBadRequest, "not the same"},
			{"rule", "short", "short", http.StatusBadRequest, "does not follow the rule"},
			{"good", "Newpass#2026", "Newpass#2026", http.StatusSeeOther, ""},
			{"reused link", "Other#20266", "Other#20266", http.StatusBadRequest, "This link has expired"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := br.post(link, "/reset-password", url.Values{"token": {tok}, "password": {c.pw}, "confirm": {c.confirm}})
				if p.status != c.status {
					t.Fatalf("status %d, want %d\n%s", p.status, c.status, p.body)
				}
				mustContain(t, p, c.want)
				if c.status == http.StatusSeeOther {
					mustContain(t, br.get(p.location), "Your password was changed.")
				}
			})
		}
		if p := e.browser().signIn(adminLogin, "Newpass#2026"); p.status != http.StatusSeeOther {
			t.Fatalf("sign-in with new password: %d", p.status)
		}
		if p := e.browser().signIn(adminLogin, adminPassword); p.status != http.StatusUnauthorized {
			t.Fatalf("old password still works: %d", p.status)
		}
	})
}

func TestAPITokensPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, _ := e.db.Q().GetUserByLogin(context.Background(), adminLogin)
		e.acceptTerms(admin)
		br := e.browser()
		br.signIn(adminLogin, adminPassword)
		mustContain(t, br.get("/account/tokens"), "No tokens yet.")

		p := br.post("/account/tokens", "/account/tokens", url.Values{"name": {"CRM integration"}})
		raw := regexp.MustCompile(`value="(cr_[^"]+)"`).FindStringSubmatch(p.body)
		if p.status != http.StatusCreated || raw == nil {
			t.Fatalf("create: %d\n%s", p.status, p.body)
		}
		mustContain(t, p, "shown only this once", "CRM integration")

		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+raw[1])
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("new token does not work: %v %v", res, err)
		}

		list := br.get("/account/tokens")
		if strings.Contains(list.body, raw[1]) {
			t.Fatal("raw token shown again")
		}
		id := regexp.MustCompile(`/account/tokens/([^/"]+)/revoke`).FindStringSubmatch(list.body)
		if id == nil {
			t.Fatalf("no revoke form:\n%s", list.body)
		}
		if p := br.post("/account/tokens", "/account/tokens/"+id[1]+"/revoke", url.Values{}); p.location != "/account/tokens" {
			t.Fatalf("revoke: %d %q", p.status, p.location)
		}
		mustContain(t, br.get("/account/tokens"), "The token was revoked.", "No tokens yet.")
		if p := br.post("/account/tokens", "/account/tokens/"+id[1]+"/revoke", url.Values{}); p.status != http.StatusNotFound {
			t.Fatalf("revoke twice: %d", p.status)
		}
	})
}

func TestPublicPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		cases := []struct {
			path   string
			status int
			want   string
		}{
			{"/login", http.StatusOK, `name="csrf_token"`},
			{"/forgot-password", http.StatusOK, "Send reset link"},
			{"/reset-password", http.StatusBadRequest, "This link has expired"},
			{"/static/app.css", http.StatusOK, "--brand"},
			{"/no-such-page", http.StatusNotFound, "Page not found"},
			{"/", http.StatusSeeOther, ""},
			{"/two-factor", http.StatusSeeOther, ""},
		}
		for _, c := range cases {
			t.Run(c.path, func(t *testing.T) {
				p := e.browser().get(c.path)
				if p.status != c.status {
					t.Fatalf("status %d, want %d", p.status, c.status)
				}
				mustContain(t, p, c.want)
			})
		}
	})
}
