package integration_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"callrec/internal/integration"
	"callrec/internal/store/storetest"
	"callrec/internal/teams"
)

// delegated signs Adele in with a code flow of the test's own and returns
// Graph and Teams admin clients — a stand-in for another vendor's tooling
// or for a person running PowerShell.
func (w *world) delegated() (*teams.Graph, *teams.Admin) {
	w.t.Helper()
	ep := w.ep
	ep.RedirectURL = w.callrec.URL + "/test-redirect"
	o := teams.NewOAuth(ep, nil, w.clock.Now)
	verifier := oauth2.GenerateVerifier()
	res := w.browser().Microsoft(o.AuthorizeURL("organizations", "st", verifier, ""), adele, adelePW, "accept")
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		w.t.Fatalf("no code: %s", res.Header.Get("Location"))
	}
	ctx := context.Background()
	tok, id, err := o.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		w.t.Fatal(err)
	}
	ta, err := o.Refresh(ctx, id.TenantID, tok.RefreshToken, teams.TeamsAdminScope)
	if err != nil {
		w.t.Fatal(err)
	}
	return teams.NewGraph(ep, nil, tok.AccessToken), teams.NewAdmin(ep, nil, ta.AccessToken)
}

// disconnect starts the removal, signs in again and runs the job.
func (w *world) disconnect(o integration.DisconnectOptions) integration.View {
	w.t.Helper()
	var out struct {
		URL string `json:"redirect_url"`
	}
	w.admin.json("POST", "/api/v1/integrations/teams/disconnect", o, http.StatusOK, &out)
	w.admin.Microsoft(out.URL, adele, adelePW, "accept")
	if v := w.admin.integration(); v.Status != integration.StatusDisconnecting {
		w.t.Fatalf("after the fresh sign-in: %s (%s)", v.Status, v.Resources.Notice)
	}
	w.runJobs(w.svc)
	return w.admin.integration()
}

func TestDisconnectRemovesEverythingAndSparesOtherVendors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		v := w.connect(integration.DefaultConfig())
		res := v.Resources
		ctx := context.Background()
		graph, admin := w.delegated()
		// Another vendor's recorder has its own policy in the tenant.
		if _, err := admin.CreatePolicy(ctx, teams.Policy{Identity: "OtherVendorPolicy", Enabled: true, Description: "theirs"}); err != nil {
			t.Fatal(err)
		}

		// A wrong confirmation domain is refused and removes nothing.
		o := integration.DefaultDisconnect()
		o.ConfirmDomain = "contoso.example.com"
		raw := w.admin.json("POST", "/api/v1/integrations/teams/disconnect", o, http.StatusBadRequest, nil)
		if !strings.Contains(raw, "confirm_domain") || !strings.Contains(raw, domain) {
			t.Fatalf("wrong domain: %s", raw)
		}
		if v := w.admin.integration(); v.Status != integration.StatusConnected {
			t.Fatalf("status after a refused disconnect: %s", v.Status)
		}

		o.ConfirmDomain = strings.ToUpper(domain)
		v = w.disconnect(o)
		if v.Status != integration.StatusDisconnected {
			t.Fatalf("status %s %s", v.Status, stepStatuses(v))
		}
		want := "connect=ok assignment=ok group=ok policy=ok instance=ok app_user=ok consent=ok finish=ok"
		if got := stepStatuses(v); got != want {
			t.Fatalf("steps %q, want %q", got, want)
		}
		if len(v.Resources.ManualSteps) != 0 {
			t.Fatalf("manual steps left: %v", v.Resources.ManualSteps)
		}
		w.clock.Advance(2 * replication)
		if _, err := admin.GetPolicy(ctx, "OtherVendorPolicy"); err != nil {
			t.Fatalf("another vendor's policy was removed: %v", err)
		}
		for what, err := range map[string]error{
			"policy":   second(admin.GetPolicy(ctx, "CallRecRecordingPolicy")),
			"instance": second(admin.GetInstance(ctx, res.InstanceObjectID)),
			"group":    second(graph.GetGroup(ctx, res.GroupID)),
			"app user": second(graph.GetUser(ctx, res.InstanceObjectID)),
		} {
			if !teams.IsNotFound(err) {
				t.Errorf("%s still exists (%v)", what, err)
			}
		}
		if grants, err := graph.Grants(ctx, res.ServicePrincipalID); err != nil || hasTenantWide(grants) {
			t.Errorf("tenant-wide consent not revoked: %v %v", grants, err)
		}
		if roles, err := graph.AppRoleAssignments(ctx, res.ServicePrincipalID); err != nil || len(roles) != 0 {
			t.Errorf("application permissions not revoked: %v %v", roles, err)
		}
		// Users are never deleted.
		if _, err := graph.GetUser(ctx, "AlexW@"+domain); err != nil {
			t.Errorf("a user was deleted: %v", err)
		}
		// Connecting again works from the start.
		v = w.connect(integration.DefaultConfig())
		if v.Status != integration.StatusConnected {
			t.Fatalf("reconnect: %s %s", v.Status, stepStatuses(v))
		}
	})
}

func second[T any](_ T, err error) error { return err }

func hasTenantWide(gs []teams.Grant) bool {
	for _, g := range gs {
		if g.ConsentType == "AllPrincipals" {
			return true
		}
	}
	return false
}

func TestDisconnectWithSomeOptionsUnchecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		v := w.connect(integration.DefaultConfig())
		res := v.Resources
		o := integration.DefaultDisconnect()
		o.ConfirmDomain = domain
		o.RemoveGroup, o.DeleteAppUser, o.RevokeConsent = false, false, false
		v = w.disconnect(o)
		if v.Status != integration.StatusDisconnected {
			t.Fatalf("status %s %s", v.Status, stepStatuses(v))
		}
		if got := stepStatuses(v); got != "connect=ok assignment=ok policy=ok instance=ok finish=ok" {
			t.Fatalf("steps %q", got)
		}
		manual := strings.Join(v.Resources.ManualSteps, "\n")
		for _, want := range []string{"Recorded Users", "Active users", "Revoke consent"} {
			if !strings.Contains(manual, want) {
				t.Errorf("manual steps lack %q:\n%s", want, manual)
			}
		}
		graph, _ := w.delegated()
		w.clock.Advance(2 * replication)
		if _, err := graph.GetGroup(context.Background(), res.GroupID); err != nil {
			t.Fatalf("the kept group is gone: %v", err)
		}
	})
}

// The PowerShell path: the scripts carry the configured values, and Verify
// checks through the APIs what the admin did by hand.
func TestPowerShellPathAndVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		s := w.admin
		s.json("POST", "/api/v1/integrations/teams", map[string]string{"mode": "powershell"}, http.StatusCreated, nil)
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/signin"), adele, adelePW, "accept")
		s.Microsoft(redirectURL(t, s, "/api/v1/integrations/teams/consent"), adele, adelePW, "accept")
		cfg := integration.DefaultConfig()
		cfg.GroupName, cfg.PolicyName = "Agents O'Brien", "AgentsPolicy"
		s.json("PUT", "/api/v1/integrations/teams/config", cfg, http.StatusOK, nil)
		s.json("POST", "/api/v1/integrations/teams/apply", nil, http.StatusConflict, nil) // no automation in this mode
		script := s.json("GET", "/api/v1/integrations/teams/powershell/connect", nil, http.StatusOK, nil)
		for _, want := range []string{"New-CsOnlineApplicationInstance -UserPrincipalName 'callrec@" + domain + "'",
			"-ApplicationId '" + w.ep.ClientID + "'", "New-CsTeamsComplianceRecordingPolicy -Identity 'AgentsPolicy'",
			"-RequiredDuringCall $false", "-DisplayName 'Agents O''Brien'", "New-CsGroupPolicyAssignment"} {
			if !strings.Contains(script, want) {
				t.Errorf("connect script lacks %q", want)
			}
		}
		var out struct {
			Integration integration.View `json:"integration"`
			Missing     []string         `json:"missing"`
		}
		s.json("POST", "/api/v1/integrations/teams/verify", nil, http.StatusOK, &out)
		if len(out.Missing) == 0 || out.Integration.Status == integration.StatusConnected {
			t.Fatalf("verify before the script ran: %+v", out)
		}
		// The admin runs the script (here: the same operations through the APIs).
		ctx := context.Background()
		graph, admin := w.delegated()
		in, err := admin.CreateInstance(ctx, "callrec@"+domain, "CallRec", w.ep.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		if _, err := admin.CreatePolicy(ctx, teams.Policy{Identity: "AgentsPolicy", Enabled: true, Description: cfg.PolicyDescription}); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		if _, err := admin.CreateRecordingApp(ctx, "AgentsPolicy", teams.RecordingApp{ID: in.ObjectID}); err != nil {
			t.Fatal(err)
		}
		g, err := graph.CreateGroup(ctx, cfg.GroupName, cfg.GroupNickname, "")
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		if err := admin.AssignToGroup(ctx, g.ID, "AgentsPolicy", 1); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(2 * replication)
		s.json("POST", "/api/v1/integrations/teams/verify", nil, http.StatusOK, &out)
		if len(out.Missing) != 0 || out.Integration.Status != integration.StatusConnected {
			t.Fatalf("verify after the script: %+v", out)
		}
		// Disconnect by PowerShell: script, then Verify sees what is gone.
		o := integration.DefaultDisconnect()
		o.Mode, o.ConfirmDomain, o.RevokeConsent = "powershell", domain, false
		s.json("POST", "/api/v1/integrations/teams/disconnect", o, http.StatusOK, nil)
		script = s.json("GET", "/api/v1/integrations/teams/powershell/disconnect", nil, http.StatusOK, nil)
		if strings.Contains(script, "Remove-CsOnlineApplicationInstance") {
			t.Error("the disconnect script calls Remove-CsOnlineApplicationInstance, which Microsoft does not have")
		}
		for _, want := range []string{"Remove-CsGroupPolicyAssignment -GroupId '" + g.ID + "'", "Remove-MgGroup", "Remove-CsTeamsComplianceRecordingPolicy -Identity 'Tag:AgentsPolicy'",
			"Remove-MgUser -UserId '" + in.ObjectID + "'"} {
			if !strings.Contains(script, want) {
				t.Errorf("disconnect script lacks %q", want)
			}
		}
		s.json("POST", "/api/v1/integrations/teams/verify", nil, http.StatusOK, &out)
		if len(out.Missing) == 0 || out.Integration.Status != integration.StatusConnected {
			t.Fatalf("verify before removal: %+v", out)
		}
		_ = admin.RemoveGroupAssignment(ctx, g.ID)
		_ = graph.DeleteGroup(ctx, g.ID)
		_ = admin.DeleteRecordingApp(ctx, "AgentsPolicy", in.ObjectID)
		_ = admin.DeletePolicy(ctx, "AgentsPolicy")
		_ = graph.DeleteUser(ctx, in.ObjectID)
		s.json("POST", "/api/v1/integrations/teams/verify", nil, http.StatusOK, &out)
		if len(out.Missing) != 0 || out.Integration.Status != integration.StatusDisconnected {
			t.Fatalf("verify after removal: %+v", out)
		}
	})
}
