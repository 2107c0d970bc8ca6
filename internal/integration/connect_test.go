package integration_test

import (
	"net/http"
	"strings"
	"testing"

	"callrec/internal/integration"
	"callrec/internal/msemu"
	"callrec/internal/store/storetest"
)

func stepStatuses(v integration.View) string {
	var b strings.Builder
	for _, s := range v.Steps {
		b.WriteString(s.Step + "=" + s.Status + " ")
	}
	return strings.TrimSpace(b.String())
}

func TestConnectGroupHappyPath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		v := w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusConnected || v.Progress != 100 {
			t.Fatalf("status %s progress %d steps %s", v.Status, v.Progress, stepStatuses(v))
		}
		want := "connect=ok instance=ok policy=ok group=ok assign=ok finalize=ok"
		if got := stepStatuses(v); got != want {
			t.Fatalf("steps %q, want %q", got, want)
		}
		if v.OrgDomain != domain || v.OrgID != contosoT || !strings.EqualFold(v.AuthorizedBy, adele) || !v.AdminConsent {
			t.Fatalf("details %+v", v)
		}
		if !strings.Contains(v.Steps[0].Message, "Organization domain: "+domain) {
			t.Fatalf("connect message %q", v.Steps[0].Message)
		}
		if v.Resources.InstanceObjectID == "" || v.Resources.GroupID == "" || v.Resources.ServicePrincipalID == "" {
			t.Fatalf("resources %+v", v.Resources)
		}
		// Microsoft now records the group's members with callrec's policy,
		// and nobody else.
		member := "AlexW@" + domain
		if p, _ := w.emu.EffectiveRecordingPolicy(contosoT, member); strings.Contains(p.PolicyName, "CallRec") {
			t.Fatalf("a user outside the group already has the policy: %+v", p)
		}
		w.addToGroup(v.Resources.GroupID, member)
		w.clock.Advance(2 * replication)
		p, err := w.emu.EffectiveRecordingPolicy(contosoT, member)
		if err != nil || !strings.Contains(p.PolicyName, "CallRecRecordingPolicy") || p.Source != "Group" {
			t.Fatalf("effective policy of a group member: %+v %v", p, err)
		}
		// The Required* flags were sent as configured (off), not Microsoft's default (on).
		pol, _ := p.Policy.(map[string]any)
		apps, _ := pol["ComplianceRecordingApplications"].([]map[string]any)
		if len(apps) != 1 || apps[0]["RequiredDuringCall"] != false || apps[0]["RequiredBeforeCallEstablishment"] != false {
			t.Fatalf("recording application %#v", pol["ComplianceRecordingApplications"])
		}
		if pol["DisableComplianceRecordingAudioNotificationForCalls"] != false {
			t.Fatalf("notification should be on: %#v", pol)
		}
		// A second Teams integration in the tenant is refused.
		w.admin.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusConflict, nil)
		// Tokens are stored encrypted: no JWT header ({"alg":…) and no JSON
		// field name shows through. (A bare "eyJ" occurs by chance in about
		// one sealed blob in 250.)
		row, _ := w.db.Q().GetIntegration(t.Context(), w.tenantID, integration.KindTeams)
		if row.TokensEnc == "" || strings.Contains(row.TokensEnc, "eyJhbGci") || strings.Contains(row.TokensEnc, "token") {
			t.Fatalf("tokens not sealed: %.40q", row.TokensEnc)
		}
	})
}

func TestConnectAllUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		cfg := integration.DefaultConfig()
		cfg.Scope = "all"
		cfg.Notification = false
		cfg.NotificationAgreed = true
		cfg.Flags.RequiredDuringCall = true
		v := w.connect(cfg)
		if v.Status != integration.StatusConnected {
			t.Fatalf("status %s: %s", v.Status, stepStatuses(v))
		}
		if got := stepStatuses(v); got != "connect=ok instance=ok policy=ok assign=ok finalize=ok" {
			t.Fatalf("steps %q", got)
		}
		w.clock.Advance(2 * replication)
		p, err := w.emu.EffectiveRecordingPolicy(contosoT, "AlexW@"+domain)
		if err != nil || p.Source != "Global" || !strings.Contains(p.PolicyName, "CallRecRecordingPolicy") {
			t.Fatalf("effective policy %+v %v", p, err)
		}
		pol, _ := p.Policy.(map[string]any)
		if pol["DisableComplianceRecordingAudioNotificationForCalls"] != true {
			t.Fatalf("notification should be off: %#v", pol)
		}
	})
}

func TestConfigureValidation(t *testing.T) {
	cases := map[string]func(c *integration.Config){
		"group_nickname":      func(c *integration.Config) { c.GroupNickname = "recorded users" },
		"notification_agreed": func(c *integration.Config) { c.Notification = false },
		"scope":               func(c *integration.Config) { c.Scope = "some" },
		"app_upn_local":       func(c *integration.Config) { c.AppUPNLocal = "bad@upn" },
		"policy_name":         func(c *integration.Config) { c.PolicyName = "" },
	}
	for field, mutate := range cases {
		c := integration.DefaultConfig()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	for _, nick := range []string{"a@b", "a(b", `a\b`, "a[b", `a"b`, "a;b", "a:b", "a.b", "a<b", "a,b", strings.Repeat("x", 65), "é"} {
		if integration.ValidMailNickname(nick) {
			t.Errorf("mailNickname %q accepted", nick)
		}
	}
	if !integration.ValidMailNickname("recorded_users-2") {
		t.Error("a valid mailNickname was refused")
	}
	_ = msemu.ContosoDomain
}

// TestConsentWithoutApplicationPermissions: an admin consent that leaves
// out an application permission the bot needs (the provider's registration
// lacks Calls.AccessMedia.All) is not taken as consent: the step says which
// permission is missing and the integration stays at Step 2.
func TestConsentWithoutApplicationPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		w.emu.DropApplicationPermission(msemu.GraphAppID, "Calls.AccessMedia.All")
		s := w.admin
		s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "automation"}, http.StatusCreated, nil)
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/consent"), adele, adelePW, "accept")
		v := s.integration()
		if v.Status != integration.StatusAuthorized || v.AdminConsent {
			t.Fatalf("after a consent without Calls.AccessMedia.All: %s consent=%v", v.Status, v.AdminConsent)
		}
		if !strings.Contains(v.Resources.Notice, "Calls.AccessMedia.All") {
			t.Fatalf("the message does not name the missing permission: %q", v.Resources.Notice)
		}
	})
}
