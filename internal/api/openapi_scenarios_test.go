package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callrec/internal/account"
	"callrec/internal/api"
	"callrec/internal/auth"
	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/msemu/mstest"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
)

// The sample requests of TestOpenAPISampleResponses, by area. Each
// k.expect validates its exchange against the document.

// signIn signs in through POST /session (a sample) and accepts the terms
// when asked (another).
func (k *contract) signIn(login, code string) *client {
	k.t.Helper()
	x := k.expect(req{method: "POST", path: "/api/v1/session", body: map[string]string{"login": login, "password": testPassword, "code": code}, want: 200})
	c := &client{e: k.env, csrf: x.str("csrf_token")}
	for _, ck := range (&http.Response{Header: x.header}).Cookies() {
		if ck.Name == "callrec_session" {
			c.cookie = ck.Value
		}
	}
	if x.str("stage") == auth.StageTerms {
		k.expect(req{c: c, method: "POST", path: "/api/v1/me/terms", body: map[string]int{"version": 1}, want: 200})
	}
	return c
}

// sessionSamples: sign-in, 2-step verification, password reset, sign-out.
func (k *contract) sessionSamples() {
	sup := k.signIn(k.users["A:supervisor"].Login, "")
	k.expect(req{c: sup, method: "GET", path: "/api/v1/me", want: 200})
	secret := k.expect(req{c: sup, method: "POST", path: "/api/v1/me/two-factor", want: 200}).str("secret")
	k.expect(req{c: sup, method: "POST", path: "/api/v1/me/two-factor/confirm", body: map[string]string{"code": k.totp(secret)}, want: 200})
	k.expect(req{c: sup, method: "POST", path: "/api/v1/me/recovery-codes", want: 200})

	// A browser signs in in two steps: the session waits at stage mfa.
	res, err := k.auth.SignIn(context.Background(), auth.SignInRequest{Login: k.users["A:supervisor"].Login, Password: testPassword, Partial: true})
	if err != nil || res.Session.Stage != auth.StageMFA {
		k.t.Fatalf("partial sign-in: %s %v", res.Session.Stage, err)
	}
	mfa := &client{e: k.env, cookie: res.Token, csrf: res.Session.CSRFToken}
	k.expect(req{c: mfa, method: "GET", path: "/api/v1/me", want: 200})
	k.expect(req{c: mfa, method: "POST", path: "/api/v1/me/two-factor/verify", body: map[string]string{"code": k.totp(secret)}, want: 200})
	k.expect(req{c: mfa, method: "DELETE", path: "/api/v1/session", want: 204})

	login := k.users["A:user_self_view"].Login
	k.expect(req{method: "POST", path: "/api/v1/password-reset", body: map[string]string{"login": login}, want: 202})
	token := k.resetToken()
	k.expect(req{method: "POST", path: "/api/v1/password-reset/confirm", body: map[string]string{"token": token, "password": testPassword}, want: 204})
	k.expect(req{method: "POST", path: "/api/v1/password-reset/confirm", body: map[string]string{"token": token, "password": testPassword}, want: 400})
}

// totp is the current code of secret; the clock moves on, so that no code
// is used twice.
func (k *contract) totp(secret string) string {
	k.t.Helper()
	k.clock.Advance(30 * time.Second)
	code, err := auth.TOTPCode(secret, k.clock.Now())
	if err != nil {
		k.t.Fatal(err)
	}
	return code
}

// resetToken returns the token of the reset link mailed last (mails go
// out in the background: FlushMail waits for them).
func (k *contract) resetToken() string {
	k.t.Helper()
	k.auth.FlushMail()
	k.mailbox.mu.Lock()
	defer k.mailbox.mu.Unlock()
	if n := len(k.mailbox.sent); n > 0 {
		if _, rest, ok := strings.Cut(k.mailbox.sent[n-1], "token="); ok {
			return strings.Fields(rest)[0]
		}
	}
	k.t.Fatal("no reset mail")
	return ""
}

// adminSamples: a tenant admin's users, groups, licenses, tokens, audit,
// alerts and settings.
func (k *contract) adminSamples() {
	admin := k.signIn(k.users["A:admin"].Login, "")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/roles", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/licenses", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/tenants/" + k.tenantA.ID, want: 200})
	k.expect(req{c: admin, method: "PATCH", path: "/api/v1/tenants/" + k.tenantA.ID, body: map[string]any{"timezone": "Europe/Berlin"}, want: 200})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/users?limit=2", want: 200})
	u := k.expect(req{c: admin, method: "POST", path: "/api/v1/users", want: 201, body: map[string]any{"name": "Katie Jordan", "role": "user",
		"extensions": []string{"1001"}, "licenses": []string{"call_recording"}, "valid_till": "2030-01-31"}}).str("id")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/users/" + u, want: 200})
	k.expect(req{c: admin, method: "PATCH", path: "/api/v1/users/" + u, body: map[string]any{"email": "katie@alpha.example", "speech_analytics_type": "basic"}, want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/users/" + u + "/reset-two-factor", want: 204})
	bulk := map[string]any{"user_ids": []string{u}, "changes": map[string]any{"record": "always", "add_licenses": []string{"live_monitoring"}}}
	k.expect(req{c: admin, method: "POST", path: "/api/v1/users/bulk?dry_run=1", body: bulk, want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/users/bulk", body: bulk, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/users/export?status=active", want: 200})
	csv := "name,login,role\nLee Gu,lee@alpha.example,user\n"
	k.expect(req{c: admin, method: "POST", path: "/api/v1/users/import?dry_run=1", body: csv, ctype: "text/csv", want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/users/import", body: csv, ctype: "text/csv", want: 200})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/groups", want: 200})
	g := k.expect(req{c: admin, method: "POST", path: "/api/v1/groups", body: map[string]any{"name": "Sales"}, want: 201}).str("id")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/groups/" + g, want: 200})
	k.expect(req{c: admin, method: "PATCH", path: "/api/v1/groups/" + g, body: map[string]any{"timezone": "Europe/Paris"}, want: 200})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/groups/" + g + "/members/" + u, want: 204})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/groups/" + g + "/members", want: 200})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/groups/" + g + "/members/" + u, want: 204})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/groups/" + g, want: 204})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/users/" + u, want: 204})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/tokens", want: 200})
	tok := k.expect(req{c: admin, method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "CRM", "user_id": k.users["A:api_user"].ID}, want: 201}).str("id")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/tokens", want: 200})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/tokens/" + tok, want: 204})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/audit?limit=5&action=user.", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/audit/export?action=user.", want: 200})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/alerts", want: 200})
	alert := store.Alert{ID: account.NewID(), TenantID: k.tenantA.ID, Kind: "license_exhausted", Message: "no call_recording license left", CreatedAt: k.db.Now()}
	if err := k.db.Q().InsertAlert(context.Background(), alert); err != nil {
		k.t.Fatal(err)
	}
	k.expect(req{c: admin, method: "GET", path: "/api/v1/alerts", want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/alerts/" + alert.ID + "/resolve", want: 204})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/storage", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recording-settings", want: 200})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/recording-settings", body: map[string]int{"auto_resume_seconds": 300}, want: 200})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/sip-sources", want: 200})
	src := k.expect(req{c: admin, method: "POST", path: "/api/v1/sip-sources", body: map[string]any{"name": "Frankfurt SBC", "address": "192.0.2.0/24"}, want: 201}).str("id")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/sip-sources", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/sip-sources/" + src, want: 200})
	k.expect(req{c: admin, method: "PATCH", path: "/api/v1/sip-sources/" + src, body: map[string]any{"domain": "pbx.alpha.example"}, want: 200})
	other := k.expect(req{c: admin, method: "POST", path: "/api/v1/sip-sources", body: map[string]any{"name": "Spare", "address": "198.51.100.7"}, want: 201}).str("id")
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/sip-sources/" + other, want: 204})
}

// workspaceSamples: the Recordings workspace on a stored call with audio
// and a call in progress.
func (k *contract) workspaceSamples() {
	w := &workspace{env: k.env, blobs: k.blobs}
	admin := k.signIn(k.users["A:admin"].Login, "")
	self := k.users["A:user_self_view"]
	done := w.call(k.tenantA.ID, self.ID, false, func(c *store.Call) {
		c.Participants = []store.CallParticipant{{ParticipantID: "p1", Name: "Caller", AOR: "sip:+15550001@pbx.example"},
			{ParticipantID: "p2", Name: self.Name, AOR: "sip:2001@pbx.example", UserID: self.ID, Recorded: true}}
	})
	live := w.call(k.tenantA.ID, self.ID, false, func(c *store.Call) {
		c.ID, c.State, c.BlobKey, c.AudioFormat, c.SizeBytes = account.NewID(), store.CallActive, "", "", 0
	})

	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings?preset=last7&sort=duration&order=asc", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings?q=nothing-matches", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings/export?direction=inbound", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls?state=completed&limit=10", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/export", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + done.ID, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + live.ID, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + done.ID + "/audio", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + done.ID + "/audio", header: map[string]string{"Range": "bytes=0-1"}, want: 206})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + live.ID + "/audio", want: 409})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + done.ID + "/listen", want: 409})

	note := k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + done.ID + "/notes", body: map[string]any{"offset_ms": 1500, "body": "asks for a refund"}, want: 201}).str("id")
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/calls/" + done.ID + "/confidential", body: map[string]bool{"confidential": true}, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings/" + done.ID, want: 200})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/calls/" + done.ID + "/notes/" + note, want: 204})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + live.ID + "/pause", want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + live.ID + "/pause", want: 409})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + live.ID + "/resume", want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings/" + live.ID, want: 200})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/calls/" + live.ID, want: 409})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/dashboard", want: 200})
	day := k.clock.Now().Format("2006-01-02")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/dashboard?from=" + day + "&to=" + day + "&user_id=" + self.ID, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/events", stream: true, want: 200})

	// A self-view user plays in the portal's player, but may not download.
	sv := k.signIn(self.Login, "")
	mine := w.call(k.tenantA.ID, self.ID, false, nil)
	sv.player = true
	k.expect(req{c: sv, method: "GET", path: "/api/v1/calls/" + mine.ID + "/audio", want: 200})
	k.expect(req{c: sv, method: "GET", path: "/api/v1/calls/" + mine.ID + "/audio?download=1", want: 403})
	k.expect(req{c: sv, method: "DELETE", path: "/api/v1/calls/" + mine.ID, want: 403})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/calls/" + done.ID, want: 204})
}

// integrationSamples walks the Teams wizard against the Microsoft
// emulator: sign-in and consent through the callback, configuration, a
// provisioning job that fails and is retried, and a PowerShell
// disconnection.
func (k *contract) integrationSamples() {
	admin := k.signIn(k.users["A:admin"].Login, "")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations", want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams", body: map[string]string{"mode": "powershell"}, want: 201})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/integrations/teams/mode", body: map[string]string{"mode": "automation"}, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations", want: 200})
	k.microsoft(admin, "/api/v1/integrations/teams/signin")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations/teams/powershell/connect?download=1", want: 200})
	k.microsoft(admin, "/api/v1/integrations/teams/consent")
	k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations/teams/config/defaults", want: 200})
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/integrations/teams/config", body: integration.DefaultConfig(), want: 200})

	k.fault(msemu.Fault{Kind: msemu.FaultPolicyRace, Count: 2})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams/apply", want: 202})
	k.runJobs()
	if v := k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations/teams", want: 200}); v.str("status") != integration.StatusFailed {
		k.t.Fatalf("after a failing step: %s", v.raw)
	}
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams/retry", want: 202})
	k.runJobs()
	if v := k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations/teams", want: 200}); v.str("status") != integration.StatusConnected {
		k.t.Fatalf("after retry: %s", v.raw)
	}
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams/retry", want: 409})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams/disconnect",
		body: map[string]any{"mode": "powershell", "confirm_domain": msemu.ContosoDomain}, want: 200})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/integrations/teams/powershell/disconnect", want: 200})
	k.expect(req{c: admin, method: "POST", path: "/api/v1/integrations/teams/verify", want: 200})

	// A draft is forgotten; then the tenant has none.
	beta := k.signIn(k.users["B:admin"].Login, "")
	k.expect(req{c: beta, method: "POST", path: "/api/v1/integrations/teams", body: map[string]string{"mode": "automation"}, want: 201})
	k.expect(req{c: beta, method: "DELETE", path: "/api/v1/integrations/teams", want: 204})
	k.expect(req{c: beta, method: "GET", path: "/api/v1/integrations/teams", want: 404})
	k.expect(req{method: "GET", path: api.CallbackPath + "?code=x&state=y", want: 303})
}

// microsoft runs one OAuth step: the step's URL, Microsoft's pages as the
// emulated admin, and the browser's return to the callback, which is a
// sample of its own.
func (k *contract) microsoft(c *client, step string) {
	k.t.Helper()
	start := k.expect(req{c: c, method: "POST", path: step, want: 200}).str("redirect_url")
	b := mstest.New(k.t, k.msURL, api.CallbackPath)
	res := b.Microsoft(start, "AdeleV@"+msemu.ContosoDomain, msemu.AdminPassword, "accept")
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Path != api.CallbackPath {
		k.t.Fatalf("Microsoft did not return to the callback: %d %v", res.StatusCode, res.Header)
	}
	k.expect(req{c: c, method: "GET", path: back.RequestURI(), want: 303})
}

func (k *contract) fault(f msemu.Fault) {
	k.t.Helper()
	b, _ := json.Marshal(f)
	res, err := http.Post(k.msURL+"/emu/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		k.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		k.t.Fatalf("fault: %d", res.StatusCode)
	}
}

// runJobs runs queued integration jobs until none is left.
func (k *contract) runJobs() {
	k.t.Helper()
	for range 20 {
		if ran, _ := k.integ.RunOnce(context.Background()); !ran {
			return
		}
	}
	k.t.Fatal("jobs kept running")
}

// providerSamples: the provider admin's tenants and cross-tenant views.
func (k *contract) providerSamples() {
	prov := k.signIn("provider", "")
	k.expect(req{c: prov, method: "GET", path: "/api/v1/tenants", want: 200})
	tn := k.expect(req{c: prov, method: "POST", path: "/api/v1/tenants", want: 201, body: map[string]any{"name": "Gamma", "account_number": "3100008477",
		"licenses": map[string]int{"call_recording": 5}, "max_calls": 20}}).str("id")
	k.expect(req{c: prov, method: "PATCH", path: "/api/v1/tenants/" + tn, body: map[string]any{"retention_days": 30}, want: 200})
	st := k.expect(req{c: prov, method: "POST", path: "/api/v1/tenants/" + tn + "/scim-tokens", body: map[string]any{"name": "provider portal"}, want: 201})
	if !strings.HasPrefix(st.str("token"), "scim_") {
		k.t.Errorf("SCIM token answer %v", st.body)
	}
	k.expect(req{c: prov, method: "GET", path: "/api/v1/tenants/" + tn + "/scim-tokens", want: 200})
	k.expect(req{c: prov, method: "DELETE", path: "/api/v1/tenants/" + tn + "/scim-tokens/" + st.str("id"), want: 204})
	k.expect(req{c: prov, method: "DELETE", path: "/api/v1/tenants/" + tn + "/scim-tokens/" + st.str("id"), want: 404})
	k.expect(req{c: k.signIn(k.users["A:admin"].Login, ""), method: "GET", path: "/api/v1/tenants/" + k.tenantA.ID + "/scim-tokens", want: 403})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/me/tenant", body: map[string]string{"tenant_id": k.tenantA.ID}, want: 204})
	k.expect(req{c: prov, method: "GET", path: "/api/v1/licenses", want: 200})
	prov.tenant = k.tenantB.ID
	k.expect(req{c: prov, method: "GET", path: "/api/v1/users", want: 200})
	prov.tenant = ""
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/sip-sources", want: 200})
	k.samlSamples(prov)
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/alerts", want: 200})
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/license-holders/changes?since=bogus", want: 400})
	k.clock.Advance(time.Minute)
	feed := k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/license-holders/changes?limit=500", want: 200})
	if items, _ := feed.body["items"].([]any); len(items) == 0 {
		k.t.Errorf("the license-holder feed is empty: %v", feed.body)
	}
	ctx := context.Background()
	err := k.db.InTx(ctx, func(tx store.Q) error {
		_, err := tx.RaiseProviderAlert(ctx, store.ProviderAlert{ID: "al1", Kind: "sip_source_ambiguous", Message: "two customers claim 192.0.2.9",
			Detail: []byte(`{"from":"192.0.2.9"}`), DedupKey: "x", CreatedAt: k.db.Now()}, k.db.Now().Add(-time.Hour))
		return err
	})
	if err != nil {
		k.t.Fatal(err)
	}
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/alerts", want: 200})
	k.expect(req{c: prov, method: "POST", path: "/api/v1/provider/alerts/al1/resolve", want: 204})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/me/tenant", body: map[string]string{"tenant_id": ""}, want: 204})
	k.expect(req{c: prov, method: "GET", path: "/api/v1/users", want: 400})
	k.brandingSamples(prov)
	k.speechSamples(prov)
}

// brandingSamples: the provider's brand, its refusals and its logo.
func (k *contract) brandingSamples(prov *client) {
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/branding", want: 200})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/branding", want: 400,
		body: map[string]any{"product_name": "Acme Voice", "accent_color": "#ffcc00"}})
	got := k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/branding", want: 200,
		body: map[string]any{"product_name": "Acme Voice", "accent_color": "#7a1fa2", "support_email": "help@acme.example"}})
	if got.str("effective_policy_name") != "AcmeVoiceRecordingPolicy" {
		k.t.Errorf("effective policy name: %v", got.body)
	}
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/branding/logo", want: 400, ctype: "image/svg+xml",
		body: `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/branding/logo", want: 200, ctype: "image/svg+xml",
		body: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#7a1fa2"/></svg>`})
	k.expect(req{c: prov, method: "DELETE", path: "/api/v1/provider/branding/logo", want: 200})
	admin := k.signIn(k.users["A:admin"].Login, "")
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/provider/branding", want: 403, body: map[string]any{"product_name": "Mine"}})
	k.expect(req{c: prov, method: "DELETE", path: "/api/v1/provider/branding", want: 200})
}

// errorSamples: the error body in its common forms.
func (k *contract) errorSamples() {
	admin := k.signIn(k.users["A:admin"].Login, "")
	apiUser := k.tokenClient("A:" + roles.APIUser)
	k.expect(req{method: "GET", path: "/api/v1/me", want: 401})
	k.expect(req{method: "POST", path: "/api/v1/session", body: map[string]string{"login": "nobody", "password": "wrong"}, want: 401})
	// validation_failed names each field and why.
	for field, r := range map[string]req{
		"remember":            {method: "POST", path: "/api/v1/session", body: map[string]any{"login": "x", "password": "y", "remember": true}},
		"role":                {c: admin, method: "POST", path: "/api/v1/users", body: map[string]any{"name": "No Role"}},
		"auto_resume_seconds": {c: admin, method: "PUT", path: "/api/v1/recording-settings", body: map[string]int{"auto_resume_seconds": -1}},
		"from":                {c: admin, method: "GET", path: "/api/v1/dashboard?from=yesterday"},
		"direction":           {c: admin, method: "GET", path: "/api/v1/recordings?direction=sideways"},
	} {
		r.invalid, r.want = true, 400
		if x := k.expect(r); !strings.Contains(x.raw, `"validation_failed"`) || !strings.Contains(x.raw, `"`+field+`":`) {
			k.t.Errorf("%s %s: want validation_failed on %s: %s", r.method, r.path, field, x.raw)
		}
	}
	k.expect(req{c: &client{e: k.env, cookie: admin.cookie}, method: "POST", path: "/api/v1/groups", body: map[string]any{"name": "No CSRF"}, want: 403})
	k.expect(req{c: apiUser, method: "GET", path: "/api/v1/users", want: 403})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/tenants", want: 403})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/users/no-such-user", want: 404})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/recordings/no-such-call", want: 404})
	k.expect(req{c: admin, method: "DELETE", path: "/api/v1/groups/" + k.defaultGroupID(), want: 409})
	// The two errors with more than fields: a bulk edit short of licenses
	// names the pools, an import names the rows.
	k.expect(req{c: k.tokenClient("provider"), method: "PATCH", path: "/api/v1/tenants/" + k.tenantA.ID,
		body: map[string]any{"licenses": map[string]int{"screen_recording": 0}}, want: 200})
	short := map[string]any{"user_ids": []string{k.users["A:user"].ID}, "changes": map[string]any{"add_licenses": []string{"screen_recording"}}}
	if x := k.expect(req{c: admin, method: "POST", path: "/api/v1/users/bulk", body: short, want: 409}); !strings.Contains(x.raw, `"pools":[{`) {
		k.t.Errorf("bulk edit short of licenses: %s", x.raw)
	}
	bad := "name,login,email,role\nLee Gu,lee2@alpha.example,not-an-email,user\n"
	if x := k.expect(req{c: admin, method: "POST", path: "/api/v1/users/import", body: bad, ctype: "text/csv", want: 400}); !strings.Contains(x.raw, `"rows":[{`) {
		k.t.Errorf("import with a bad row: %s", x.raw)
	}
}

func (k *contract) defaultGroupID() string {
	k.t.Helper()
	gs, err := k.db.Q().ListGroups(context.Background(), k.tenantA.ID, "")
	if err != nil {
		k.t.Fatal(err)
	}
	for _, g := range gs {
		if g.IsDefault {
			return g.ID
		}
	}
	k.t.Fatal("no default group")
	return ""
}

// samlSamples: the provider admin's SAML identity providers.
func (k *contract) samlSamples(prov *client) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		k.t.Fatal(err)
	}
	cert, err := sso.SelfSigned(key, "portal idp", k.clock.Now())
	if err != nil {
		k.t.Fatal(err)
	}
	id := k.expect(req{c: prov, method: "POST", path: "/api/v1/provider/saml-idps", want: 201, body: map[string]any{
		"name": "Cloud Services Portal", "tenant_id": k.tenantA.ID, "entity_id": "https://portal.example/saml", "sso_url": "https://portal.example/sso",
		"slo_url": "https://portal.example/slo", "cert1": cert, "match_attribute": "login"}}).str("id")
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/saml-idps", want: 200})
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/saml-idps/" + id, want: 200})
	k.expect(req{c: prov, method: "PATCH", path: "/api/v1/provider/saml-idps/" + id, body: map[string]any{"enforces_mfa": true, "cert2": cert}, want: 200})
	k.expect(req{c: prov, method: "POST", path: "/api/v1/provider/saml-idps", want: 400, body: map[string]any{"name": "No cert", "entity_id": "https://x.example"}})
	k.expect(req{c: prov, method: "DELETE", path: "/api/v1/provider/saml-idps/" + id, want: 204})
}

// speechSamples: the provider chooses an engine; a licensed user's call
// answers its transcript's state and is queued again; an unlicensed one's
// re-run is refused.
func (k *contract) speechSamples(prov *client) {
	ctx := context.Background()
	k.expect(req{c: prov, method: "GET", path: "/api/v1/provider/speech", want: 200})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/speech", body: map[string]any{"engine": "watson"}, want: 400, invalid: true})
	k.expect(req{c: prov, method: "PUT", path: "/api/v1/provider/speech", want: 200,
		body: map[string]any{"engine": "openai", "url": "http://127.0.0.1:9", "model": "whisper-1", "key": "sk-sample"}})
	admin := k.signIn(k.users["A:admin"].Login, "")
	k.expect(req{c: admin, method: "PUT", path: "/api/v1/provider/speech", body: map[string]any{"engine": ""}, want: 403})
	self, advanced := k.users["A:user_self_view"], "advanced"
	if _, err := k.accounts.UpdateUser(ctx, account.System, k.tenantA.ID, self.ID, account.UserInput{
		Licenses: &[]string{"speech_analytics"}, SpeechAnalyticsType: &advanced}); err != nil {
		k.t.Fatal(err)
	}
	w := &workspace{env: k.env, blobs: k.blobs}
	licensed := w.call(k.tenantA.ID, self.ID, false, nil)
	bare := w.call(k.tenantA.ID, k.users["A:user"].ID, false, nil)
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + licensed.ID + "/transcript", want: 200})
	got := k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + licensed.ID + "/transcript", want: 202})
	if got.str("status") != "queued" || got.str("license_type") != "advanced" {
		k.t.Errorf("re-run answer %v", got.body)
	}
	k.expect(req{c: admin, method: "POST", path: "/api/v1/calls/" + bare.ID + "/transcript", want: 409})
	k.expect(req{c: admin, method: "GET", path: "/api/v1/calls/" + bare.ID + "/transcript", want: 200})
}
