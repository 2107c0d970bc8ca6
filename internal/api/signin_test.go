package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"callrec/internal/auth"
	"callrec/internal/store/storetest"
)

func TestPasswordRule(t *testing.T) {
	cases := []struct {
		pw string
		ok bool
	}{
		{"Secret#2026", true},
		{"Aa1!aaaa", true},                        // exactly 8
		{"Aa1!" + strings.Repeat("a", 26), true},  // exactly 30
		{"Aa1!" + strings.Repeat("a", 27), false}, // 31
		{"Aa1!aaa", false},                        // 7
		{"secret#2026", false},                    // no capital
		{"Secret#word", false},                    // no digit
		{"Secret2026", false},                     // no special
		{"", false},
	}
	for _, c := range cases {
		if err := auth.CheckPasswordRule(c.pw); (err == nil) != c.ok {
			t.Errorf("CheckPasswordRule(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		r := admin.want(http.StatusBadRequest, "POST", "/api/v1/users", map[string]any{"name": "Weak", "role": "user", "login": "weak", "password": "password"})
		if r.errCode() != "validation_failed" || !strings.Contains(r.field("password"), "capital") {
			t.Fatalf("weak password: %s", r.raw)
		}
		if n := len(admin.want(http.StatusOK, "GET", "/api/v1/users?search=weak", nil).items()); n != 0 {
			t.Fatalf("a refused user was stored")
		}
	})
}

func TestLockoutIsProgressive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		login := e.users["A:admin"].Login
		for i := 1; i <= 4; i++ {
			if _, r := e.sessionClient(login, "Wrong#Pass1", ""); r.status != http.StatusUnauthorized || r.errCode() != "invalid_credentials" {
				t.Fatalf("failure %d: %d %s", i, r.status, r.raw)
			}
		}
		if _, r := e.sessionClient(login, "Wrong#Pass1", ""); r.status != http.StatusLocked || r.errCode() != "account_locked" {
			t.Fatalf("fifth failure: %d %s, want 423", r.status, r.raw)
		}
		if _, r := e.sessionClient(login, testPassword, ""); r.status != http.StatusLocked {
			t.Fatalf("right password while locked: %d, want 423", r.status)
		}
		e.clock.Advance(61 * time.Second)
		// One more failure after the first lock doubles it to two minutes.
		if _, r := e.sessionClient(login, "Wrong#Pass1", ""); r.status != http.StatusLocked {
			t.Fatalf("sixth failure: %d, want 423", r.status)
		}
		e.clock.Advance(61 * time.Second)
		if _, r := e.sessionClient(login, testPassword, ""); r.status != http.StatusLocked {
			t.Fatalf("after 61s of a 2-minute lock: %d, want 423", r.status)
		}
		e.clock.Advance(60 * time.Second)
		if _, r := e.sessionClient(login, testPassword, ""); r.status != http.StatusOK {
			t.Fatalf("after the lock: %d %s", r.status, r.raw)
		}
		// Success resets the count: four new failures do not lock.
		for i := 0; i < 4; i++ {
			e.sessionClient(login, "Wrong#Pass1", "")
		}
		if _, r := e.sessionClient(login, testPassword, ""); r.status != http.StatusOK {
			t.Fatalf("count was not reset: %d", r.status)
		}
	})
}

func TestTwoFactorEnrolmentEnforcementAndRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		prov := e.tokenClient("provider")
		prov.want(http.StatusOK, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"enforce_two_factor": true})
		login := e.users["A:supervisor"].Login

		c, r := e.sessionClient(login, testPassword, "")
		if r.status != http.StatusOK || r.body["stage"] != "enroll" {
			t.Fatalf("enforced, not enrolled: %d %s, want stage enroll", r.status, r.raw)
		}
		// Nothing else is reachable until enrolment is done.
		if r := c.do("GET", "/api/v1/roles", nil); r.status != http.StatusForbidden || r.errCode() != "sign_in_incomplete" {
			t.Fatalf("roles during enrolment: %d %s", r.status, r.raw)
		}
		secret, _ := c.want(http.StatusOK, "POST", "/api/v1/me/two-factor", nil).body["secret"].(string)
		if len(secret) < 16 {
			t.Fatalf("secret %q", secret)
		}
		c.want(http.StatusBadRequest, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": "000000"})
		code, _ := auth.TOTPCode(secret, e.clock.Now())
		r = c.want(http.StatusOK, "POST", "/api/v1/me/two-factor/confirm", map[string]any{"code": code})
		codes, _ := r.body["recovery_codes"].([]any)
		if len(codes) != 10 || r.body["stage"] != "terms" {
			t.Fatalf("confirm: %s", r.raw)
		}
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 1})
		c.want(http.StatusOK, "GET", "/api/v1/roles", nil)

		// From now on a code is required.
		if _, r := e.sessionClient(login, testPassword, ""); r.status != http.StatusForbidden || r.errCode() != "two_factor_required" {
			t.Fatalf("without code: %d %s", r.status, r.raw)
		}
		if _, r := e.sessionClient(login, testPassword, "123456"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong code: %d", r.status)
		}
		e.clock.Advance(30 * time.Second)
		code, _ = auth.TOTPCode(secret, e.clock.Now())
		if _, r := e.sessionClient(login, testPassword, code); r.status != http.StatusOK || r.body["stage"] != "ok" {
			t.Fatalf("with code: %d %s", r.status, r.raw)
		}
		// A recovery code works once, in any case and spacing.
		rc := strings.ToLower(codes[0].(string))
		if _, r := e.sessionClient(login, testPassword, rc); r.status != http.StatusOK {
			t.Fatalf("recovery code: %d %s", r.status, r.raw)
		}
		if _, r := e.sessionClient(login, testPassword, rc); r.status != http.StatusUnauthorized {
			t.Fatalf("reused recovery code: %d, want 401", r.status)
		}
		// Two-step sign-in in the browser style: session at stage mfa first.
		res, err := e.auth.SignIn(t.Context(), auth.SignInRequest{Login: login, Password: testPassword, Partial: true})
		if err != nil || res.Session.Stage != auth.StageMFA {
			t.Fatalf("partial sign-in: %v %v", res.Session.Stage, err)
		}
	})
}

func TestPerUserTwoFactorRequirement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		u := e.users["A:user_self_view"]
		admin.want(http.StatusOK, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"two_factor_required": true})
		if _, r := e.sessionClient(u.Login, testPassword, ""); r.body["stage"] != "enroll" {
			t.Fatalf("per-user requirement: %s", r.raw)
		}
		// Another user of the tenant is unaffected.
		if _, r := e.sessionClient(e.users["A:supervisor"].Login, testPassword, ""); r.body["stage"] == "enroll" {
			t.Fatalf("requirement leaked to another user")
		}
	})
}

func TestCSRFIsRequiredForSessionChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		c, r := e.sessionClient(e.users["A:admin"].Login, testPassword, "")
		acceptTermsIfAsked(t, c, r)
		good := c.csrf
		c.csrf = ""
		if r := c.do("POST", "/api/v1/groups", map[string]any{"name": "Forged"}); r.status != http.StatusForbidden || r.errCode() != "csrf_failed" {
			t.Fatalf("no CSRF token: %d %s", r.status, r.raw)
		}
		c.csrf = "wrong"
		if r := c.do("DELETE", "/api/v1/users/"+e.users["A:user"].ID, nil); r.status != http.StatusForbidden {
			t.Fatalf("wrong CSRF token: %d", r.status)
		}
		c.csrf = good
		r = c.want(http.StatusOK, "GET", "/api/v1/groups", nil)
		for _, g := range r.items() {
			if g.(map[string]any)["name"] == "Forged" {
				t.Fatal("forged request created a group")
			}
		}
		c.want(http.StatusOK, "GET", "/api/v1/users/"+e.users["A:user"].ID, nil)
		c.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Real"})
	})
}

func TestTermsMustBeAcceptedAgainWhenVersionChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		login := e.users["A:admin"].Login
		c, r := e.sessionClient(login, testPassword, "")
		if r.body["stage"] != "terms" {
			t.Fatalf("first sign-in: stage %v, want terms", r.body["stage"])
		}
		c.want(http.StatusBadRequest, "POST", "/api/v1/me/terms", map[string]any{"version": 7})
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 1})
		if _, r := e.sessionClient(login, testPassword, ""); r.body["stage"] != "ok" {
			t.Fatalf("after accepting: %v", r.body["stage"])
		}
		prov := e.tokenClient("provider")
		prov.want(http.StatusOK, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"terms_version": 2})
		c, r = e.sessionClient(login, testPassword, "")
		if r.body["stage"] != "terms" {
			t.Fatalf("after version change: %v, want terms", r.body["stage"])
		}
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 2})
		c.want(http.StatusOK, "GET", "/api/v1/users", nil)
		// Only the provider moves the version, and only forward.
		e.tokenClient("A:admin").want(http.StatusBadRequest, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"terms_version": 3})
		prov.want(http.StatusBadRequest, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"terms_version": 1})
	})
}

func TestPasswordResetLinkIsSingleUseAndExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		anon := &client{e: e}
		login := e.users["A:supervisor"].Login
		anon.want(http.StatusAccepted, "POST", "/api/v1/password-reset", map[string]any{"login": login})
		anon.want(http.StatusAccepted, "POST", "/api/v1/password-reset", map[string]any{"login": "nobody"})
		e.auth.FlushMail() // mails go out in the background
		if len(e.mailbox.sent) != 1 {
			t.Fatalf("%d mails, want 1", len(e.mailbox.sent))
		}
		token := e.mailbox.sent[0][strings.Index(e.mailbox.sent[0], "token=")+len("token="):]
		token = strings.Fields(token)[0]
		r := anon.want(http.StatusBadRequest, "POST", "/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "weak"})
		if r.field("password") == "" {
			t.Fatalf("weak password: %s", r.raw)
		}
		anon.want(http.StatusNoContent, "POST", "/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "Brand#New2027"})
		if r := anon.do("POST", "/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "Other#New2027"}); r.errCode() != "invalid_token" {
			t.Fatalf("reused link: %s", r.raw)
		}
		if _, r := e.sessionClient(login, "Brand#New2027", ""); r.status != http.StatusOK {
			t.Fatalf("new password: %d", r.status)
		}
		anon.want(http.StatusAccepted, "POST", "/api/v1/password-reset", map[string]any{"login": login})
		e.auth.FlushMail()
		token = strings.Fields(e.mailbox.sent[1][strings.Index(e.mailbox.sent[1], "token=")+6:])[0]
		e.clock.Advance(61 * time.Minute)
		if r := anon.do("POST", "/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "Other#New2027"}); r.errCode() != "invalid_token" {
			t.Fatalf("expired link: %s", r.raw)
		}
	})
}

func TestSignInRefusedWhenInactiveOrExpired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		u := e.users["A:supervisor"]
		c, r := e.sessionClient(u.Login, testPassword, "")
		acceptTermsIfAsked(t, c, r)
		admin.want(http.StatusOK, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"active": false})
		if r := c.do("GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("session of a deactivated user: %d", r.status)
		}
		if _, r := e.sessionClient(u.Login, testPassword, ""); r.status != http.StatusForbidden {
			t.Fatalf("inactive sign-in: %d", r.status)
		}
		admin.want(http.StatusOK, "PATCH", "/api/v1/users/"+u.ID, map[string]any{"active": true, "valid_till": e.clock.Now().Add(24 * time.Hour).Format(time.DateOnly)})
		if _, r := e.sessionClient(u.Login, testPassword, ""); r.status != http.StatusOK {
			t.Fatalf("valid until tomorrow: %d", r.status)
		}
		e.clock.Advance(48 * time.Hour)
		if _, r := e.sessionClient(u.Login, testPassword, ""); r.status != http.StatusForbidden {
			t.Fatalf("after valid till: %d", r.status)
		}
	})
}
