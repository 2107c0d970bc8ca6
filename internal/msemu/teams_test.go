package msemu

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	instancesPath   = TeamsAdminPrefix + "/Teams.PlatformService/v2/ApplicationInstances"
	policiesPath    = TeamsAdminPrefix + "/Skype.Policy/configurations/TeamsComplianceRecordingPolicy"
	appsPath        = TeamsAdminPrefix + "/Skype.Policy/configurations/TeamsComplianceRecordingApplication"
	assignmentsPath = TeamsAdminPrefix + "/Skype.Policy/groupPolicyAssignments"
)

func newInstance(t *testing.T, h *harness, tok, upn string) string {
	t.Helper()
	var in map[string]any
	res := h.call("POST", instancesPath, tok, map[string]string{"ApplicationId": CallrecClientID, "DisplayName": "callrec", "UserPrincipalName": upn}, &in)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create instance: %d %v", res.StatusCode, in)
	}
	return in["objectId"].(string)
}

func TestTeamsInstances(t *testing.T) {
	h := newHarness(t, 0)
	admin := h.delegated("LeeG@"+ContosoDomain, TeamsAdminAppID+"/.default")
	user := h.delegated("AlexW@"+ContosoDomain, TeamsAdminAppID+"/.default")
	h.emu.w.Tenants[ContosoTenantID].spByAppID(CallrecClientID).TeamsAdmin = true
	appOnly := h.appOnly(ContosoTenantID, TeamsAdminAppID+"/.default")
	graph := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	body := map[string]string{"ApplicationId": CallrecClientID, "DisplayName": "callrec", "UserPrincipalName": "callrec@" + ContosoDomain}
	tests := []struct {
		name, token string
		body        map[string]string
		status      int
	}{
		{"app-only refused", appOnly, body, 403},
		{"not an admin", user, body, 403},
		{"graph token", graph, body, 401},
		{"foreign domain", admin, map[string]string{"DisplayName": "x", "UserPrincipalName": "x@fabrikam.onmicrosoft.com"}, 400},
		{"created", admin, body, 201},
		{"duplicate upn", admin, body, 409},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			if res := h.call("POST", instancesPath, tc.token, tc.body, &e); res.StatusCode != tc.status {
				t.Fatalf("got %d %+v", res.StatusCode, e)
			}
		})
	}
	for i := range 3 {
		newInstance(t, h, admin, "bot"+string(rune('a'+i))+"@"+ContosoDomain)
	}
	var page struct {
		ApplicationInstances []map[string]any `json:"applicationInstances"`
		SkipToken            *string          `json:"skipToken"`
	}
	h.call("GET", instancesPath+"?pageSize=3", appOnly, nil, &page)
	if len(page.ApplicationInstances) != 3 || page.SkipToken == nil {
		t.Fatalf("page 1: %+v", page)
	}
	h.call("GET", instancesPath+"?pageSize=3&skipToken="+*page.SkipToken, appOnly, nil, &page)
	if len(page.ApplicationInstances) != 1 || page.SkipToken != nil {
		t.Fatalf("page 2: %+v", page)
	}
	id := page.ApplicationInstances[0]["objectId"].(string)
	// Microsoft has no cmdlet that removes an instance and no public code
	// shows a REST path for one or for Sync: the emulator serves neither.
	for _, m := range []struct{ method, path string }{{"DELETE", instancesPath + "/" + id}, {"POST", instancesPath + "/" + id + "/sync"}} {
		if res := h.call(m.method, m.path, admin, nil, nil); res.StatusCode != 404 && res.StatusCode != 405 {
			t.Fatalf("%s %s: %d", m.method, m.path, res.StatusCode)
		}
	}
	if h.emu.w.Tenants[ContosoTenantID].userRef("callrec@"+ContosoDomain) == nil {
		t.Fatal("the resource account's user must survive instance deletion")
	}
}

func TestTeamsPolicies(t *testing.T) {
	h := newHarness(t, 0)
	tok := h.delegated("AdeleV@"+ContosoDomain, TeamsAdminAppID+"/user_impersonation")
	a, b, c := newInstance(t, h, tok, "a@"+ContosoDomain), newInstance(t, h, tok, "b@"+ContosoDomain), newInstance(t, h, tok, "c@"+ContosoDomain)
	var p map[string]any
	res := h.call("POST", policiesPath, tok, map[string]any{"Identity": "CallrecPolicy", "Enabled": true, "Description": "Automatically record calls"}, &p)
	if res.StatusCode != 201 || p["Identity"] != "Tag:CallrecPolicy" || p["WarnUserOnRemoval"] != true {
		t.Fatalf("create policy: %d %v", res.StatusCode, p)
	}
	var app map[string]any
	h.call("POST", appsPath, tok, map[string]any{"Parent": "Tag:CallrecPolicy", "Id": a}, &app)
	for _, f := range []string{"RequiredBeforeMeetingJoin", "RequiredBeforeCallEstablishment", "RequiredDuringMeeting", "RequiredDuringCall"} {
		if app[f] != true {
			t.Errorf("%s defaults to %v, want true", f, app[f])
		}
	}
	if app["ConcurrentInvitationCount"] != float64(1) || app["Identity"] != "Tag:CallrecPolicy/"+a {
		t.Errorf("application: %v", app)
	}
	paired := []map[string]string{{"Id": c}}
	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"duplicate", map[string]any{"Parent": "CallrecPolicy", "Id": a}, 409},
		{"paired with concurrent 2", map[string]any{"Parent": "CallrecPolicy", "Id": b, "ConcurrentInvitationCount": 2, "ComplianceRecordingPairedApplications": paired}, 400},
		{"two paired", map[string]any{"Parent": "CallrecPolicy", "Id": b, "ComplianceRecordingPairedApplications": []map[string]string{{"Id": a}, {"Id": c}}}, 400},
		{"concurrent 3", map[string]any{"Parent": "CallrecPolicy", "Id": b, "ConcurrentInvitationCount": 3}, 400},
		{"unknown instance", map[string]any{"Parent": "CallrecPolicy", "Id": "00000000-0000-0000-0000-00000000dead"}, 404},
		{"unknown policy", map[string]any{"Parent": "Nope", "Id": b}, 404},
		{"paired ok", map[string]any{"Parent": "CallrecPolicy", "Id": b, "RequiredDuringCall": false, "ComplianceRecordingPairedApplications": paired}, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			if res := h.call("POST", appsPath, tok, tc.body, &e); res.StatusCode != tc.status {
				t.Fatalf("got %d %+v", res.StatusCode, e)
			}
		})
	}
	h.call("GET", policiesPath+"/configuration/Tag:CallrecPolicy", tok, nil, &p)
	if apps := p["ComplianceRecordingApplications"].([]any); len(apps) != 2 || apps[1].(map[string]any)["RequiredDuringCall"] != false {
		t.Fatalf("read back: %v", p)
	}
	if res := h.call("DELETE", appsPath+"/configuration/Tag:CallrecPolicy/"+b, tok, nil, nil); res.StatusCode != 204 {
		t.Fatalf("delete application: %d", res.StatusCode)
	}
	if res := h.call("POST", policiesPath, tok, map[string]any{"Identity": "CallrecPolicy"}, nil); res.StatusCode != 409 {
		t.Fatalf("duplicate policy: %d", res.StatusCode)
	}
}

func TestTeamsReplicationRace(t *testing.T) {
	h := newHarness(t, 45*time.Second)
	tok := h.delegated("AdeleV@"+ContosoDomain, TeamsAdminAppID+"/.default")
	id := newInstance(t, h, tok, "callrec@"+ContosoDomain)
	body := map[string]any{"Identity": "P", "ComplianceRecordingApplications": []map[string]any{{"Id": id}}}
	var e errBody
	if res := h.call("POST", policiesPath, tok, body, &e); res.StatusCode != 404 || e.Error.Code != "ApplicationInstanceNotFound" {
		t.Fatalf("policy before instance replicated: %d %+v", res.StatusCode, e)
	}
	h.clock.Advance(46 * time.Second)
	if res := h.call("POST", policiesPath, tok, body, nil); res.StatusCode != 201 {
		t.Fatalf("policy after replication: %d", res.StatusCode)
	}
	if res := h.call("GET", policiesPath+"/configuration/P", tok, nil, nil); res.StatusCode != 404 {
		t.Fatalf("new policy readable before replication: %d", res.StatusCode)
	}
}

func TestTeamsAssignmentsAndEffectivePolicy(t *testing.T) {
	h := newHarness(t, 0)
	tok := h.delegated("AdeleV@"+ContosoDomain, TeamsAdminAppID+"/.default")
	graph := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	for _, p := range []string{"P1", "P2", "P3", "Direct", "Tenant"} {
		h.call("POST", policiesPath, tok, map[string]any{"Identity": p, "Enabled": true}, nil)
	}
	groups := map[string]string{}
	for _, n := range []string{"g1", "g2", "g3"} {
		var g map[string]any
		h.call("POST", "/v1.0/groups", graph, map[string]any{"displayName": n, "mailNickname": n, "mailEnabled": false, "securityEnabled": true}, &g)
		groups[n] = g["id"].(string)
	}
	assign := func(g, p string, rank int) {
		res := h.call("PATCH", assignmentsPath+"/"+groups[g]+"/policyTypes/"+policyType, tok, map[string]any{"PolicyName": p, "Rank": rank}, nil)
		if res.StatusCode != 204 {
			t.Fatalf("assign %s: %d", g, res.StatusCode)
		}
	}
	assign("g1", "P1", 1)
	assign("g2", "P2", 1) // pushes g1 to rank 2
	assign("g3", "P3", 9) // past the end: last
	ranks := func() string {
		var list []map[string]any
		h.call("GET", assignmentsPath+"?policyType="+policyType, tok, nil, &list)
		var out []string
		for _, a := range list {
			for n, id := range groups {
				if a["GroupId"] == id {
					out = append(out, n)
				}
			}
		}
		return strings.Join(out, ",")
	}
	if got := ranks(); got != "g2,g1,g3" {
		t.Fatalf("ranks after inserts: %s", got)
	}
	h.call("DELETE", assignmentsPath+"/"+groups["g2"]+"/policyTypes/"+policyType, tok, nil, nil)
	if got := ranks(); got != "g1,g3" {
		t.Fatalf("ranks after delete: %s", got)
	}
	h.call("PATCH", assignmentsPath+"/"+groups["g3"]+"/policyTypes/"+policyType, tok, map[string]any{"PolicyName": "P3", "Rank": 1}, nil)
	if got := ranks(); got != "g3,g1" {
		t.Fatalf("ranks after move: %s", got)
	}
	if res := h.call("GET", assignmentsPath+"/"+groups["g1"]+"/"+policyType, tok, nil, nil); res.StatusCode != 404 && res.StatusCode != 405 {
		t.Fatalf("the old guessed path answered %d", res.StatusCode)
	}

	meganUPN := "MeganB@" + ContosoDomain
	_, megan := h.emu.w.findUserByUPN(meganUPN)
	effective := func() (string, string) {
		var ep EffectivePolicy
		h.call("GET", TeamsAdminPrefix+"/Skype.Policy/users/"+meganUPN+"/effectivePolicy", tok, nil, &ep)
		return ep.PolicyName, ep.Source
	}
	steps := []struct {
		name       string
		do         func()
		want, from string
	}{
		{"nothing assigned", func() {}, "Global", "Global"},
		{"tenant global", func() {
			h.call("PATCH", TeamsAdminPrefix+"/Skype.Policy/tenants/policies/"+policyType, tok, map[string]any{"PolicyName": "Tenant"}, nil)
		}, "Tag:Tenant", "Global"},
		{"member of g1 (rank 2)", func() { h.emu.w.Tenants[ContosoTenantID].Groups[groups["g1"]].Members = []string{megan.ID} }, "Tag:P1", "Group"},
		{"also member of g3 (rank 1)", func() { h.emu.w.Tenants[ContosoTenantID].Groups[groups["g3"]].Members = []string{megan.ID} }, "Tag:P3", "Group"},
		{"direct grant wins", func() {
			h.call("PATCH", TeamsAdminPrefix+"/Skype.Policy/users/"+megan.ID+"/policies/"+policyType, tok, map[string]any{"PolicyName": "Direct"}, nil)
		}, "Tag:Direct", "Direct"},
		{"direct revoked", func() {
			h.call("PUT", TeamsAdminPrefix+"/Skype.Policy/users/"+megan.ID, tok, map[string]any{"PolicyType": policyType, "PolicyName": nil}, nil)
		}, "Tag:P3", "Group"},
	}
	for _, s := range steps {
		s.do()
		if name, from := effective(); name != s.want || from != s.from {
			t.Fatalf("%s: got %s/%s want %s/%s", s.name, name, from, s.want, s.from)
		}
	}
	if res := h.call("DELETE", policiesPath+"/configuration/P3", tok, nil, nil); res.StatusCode != 409 {
		t.Fatalf("deleting an assigned policy: %d", res.StatusCode)
	}
}
