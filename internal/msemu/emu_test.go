package msemu

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScriptedFaults(t *testing.T) {
	h := newHarness(t, 0)
	tok := h.delegated("AdeleV@"+ContosoDomain, TeamsAdminAppID+"/.default")
	graph := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	id := newInstance(t, h, tok, "callrec@"+ContosoDomain)
	fault := func(f Fault) {
		if res := h.call("POST", "/emu/faults", "", f, nil); res.StatusCode != 201 {
			t.Fatalf("add fault: %d", res.StatusCode)
		}
	}
	t.Run("policy race twice", func(t *testing.T) {
		fault(Fault{Kind: FaultPolicyRace, Count: 2})
		for i := range 2 {
			var e errBody
			if res := h.call("POST", policiesPath, tok, map[string]any{"Identity": "P"}, &e); res.StatusCode != 404 || e.Error.Code != "ApplicationInstanceNotFound" {
				t.Fatalf("attempt %d: %d %+v", i, res.StatusCode, e)
			}
		}
		if res := h.call("POST", policiesPath, tok, map[string]any{"Identity": "P"}, nil); res.StatusCode != 201 {
			t.Fatalf("third attempt: %d", res.StatusCode)
		}
	})
	t.Run("instance mapping", func(t *testing.T) {
		fault(Fault{Kind: FaultInstanceSync})
		body := map[string]string{"UserPrincipalName": "apsfault@" + ContosoDomain, "DisplayName": "APS", "ApplicationId": id}
		var e errBody
		if res := h.call("POST", instancesPath, tok, body, &e); res.StatusCode != 500 || e.Error.Message != "Failed to update application instance in APS" {
			t.Fatalf("%d %+v", res.StatusCode, e)
		}
		if res := h.call("POST", instancesPath, tok, body, nil); res.StatusCode != 201 {
			t.Fatalf("retry: %d", res.StatusCode)
		}
	})
	t.Run("throttle", func(t *testing.T) {
		fault(Fault{Kind: FaultThrottle, PathPrefix: "/v1.0/", RetryAfter: 7})
		var e errBody
		res := h.call("GET", "/v1.0/users", graph, nil, &e)
		if res.StatusCode != 429 || res.Header.Get("Retry-After") != "7" || e.Error.Code != "TooManyRequests" {
			t.Fatalf("%d %q %+v", res.StatusCode, res.Header.Get("Retry-After"), e)
		}
		if res := h.call("GET", "/v1.0/users", graph, nil, nil); res.StatusCode != 200 {
			t.Fatalf("after throttle: %d", res.StatusCode)
		}
	})
	t.Run("unavailable", func(t *testing.T) {
		fault(Fault{Kind: FaultUnavailable, PathPrefix: TeamsAdminPrefix})
		if res := h.call("GET", policiesPath, tok, nil, nil); res.StatusCode != 503 {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("unknown kind", func(t *testing.T) {
		if res := h.call("POST", "/emu/faults", "", Fault{Kind: "meteor"}, nil); res.StatusCode != 400 {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("list and clear", func(t *testing.T) {
		fault(Fault{Kind: FaultUnavailable, Count: 3})
		var list struct{ Faults []Fault }
		h.call("GET", "/emu/faults", "", nil, &list)
		if len(list.Faults) != 1 || list.Faults[0].Count != 3 {
			t.Fatalf("%+v", list)
		}
		h.call("DELETE", "/emu/faults", "", nil, nil)
		if res := h.call("GET", "/v1.0/users", graph, nil, nil); res.StatusCode != 200 {
			t.Fatalf("after clear: %d", res.StatusCode)
		}
	})
}

func TestEventsAndConfig(t *testing.T) {
	h := newHarness(t, 0)
	var cfg Config
	h.call("GET", "/emu/config", "", nil, &cfg)
	if cfg.ClientID != CallrecClientID || cfg.ClientSecret != CallrecSecret || cfg.TeamsAdminURL != h.srv.URL+TeamsAdminPrefix || len(cfg.Tenants) == 0 {
		t.Fatalf("config %+v", cfg)
	}
	h.call("GET", "/v1.0/users?code=secret", "", nil, nil)
	var ev struct{ Events []Event }
	h.call("GET", "/emu/events?kind=http", "", nil, &ev)
	last := ev.Events[len(ev.Events)-1]
	if last.Path != "/v1.0/users" || last.Status != 401 || last.Host != "graph.microsoft.com" || strings.Contains(last.Query, "secret") {
		t.Fatalf("last event %+v", last)
	}
	h.emu.Record(Event{Kind: "call", Data: map[string]any{"state": "incoming"}})
	h.call("GET", "/emu/events?since="+strconv.FormatInt(last.Seq, 10), "", nil, &ev)
	if len(ev.Events) != 1 || ev.Events[0].Kind != "call" {
		t.Fatalf("since: %+v", ev)
	}
}

func TestAdminCenterPages(t *testing.T) {
	h := newHarness(t, 0)
	h.consent(ContosoTenantID)
	b := newBrowser(t)
	_, page := b.Get(h.srv.URL + "/admin/groups")
	if !strings.Contains(page, "Microsoft 365 admin center") || !strings.Contains(page, `action="`+h.srv.URL+`/admin/signin"`) {
		t.Fatalf("want sign-in: %s", page)
	}
	_, page = b.Post(h.srv.URL+"/admin/signin", url.Values{"loginfmt": {"AdeleV@" + ContosoDomain}, "passwd": {AdminPassword}, "next": {"/admin/groups"}})
	if !strings.Contains(page, "Active teams and groups") || !strings.Contains(page, "Mark 8 Project Team") {
		t.Fatalf("groups page: %s", page)
	}
	gid := stableID(ContosoTenantID + "/group/SalesAndMarketing")
	_, megan := h.emu.w.findUserByUPN("MeganB@" + ContosoDomain)
	_, page = b.Post(h.srv.URL+"/admin/groups/"+gid+"/members", url.Values{"member": {megan.ID}})
	if !strings.Contains(page, "1 member added.") || !strings.Contains(page, "+ Add members") || !strings.Contains(page, "MeganB@") {
		t.Fatalf("after add: %s", page)
	}
	_, alex := h.emu.w.findUserByUPN("AlexW@" + ContosoDomain)
	_, page = b.Post(h.srv.URL+"/admin/users/"+alex.ID+"/delete", nil)
	if !strings.Contains(page, "Alex Wilber was deleted.") || strings.Contains(page, "AlexW@") {
		t.Fatalf("after delete: %s", page)
	}
	_, page = b.Get(h.srv.URL + "/myapps/apps/" + CallrecClientID)
	if !strings.Contains(page, "Skype and Teams Tenant Admin API") || !strings.Contains(page, "Revoke consent") {
		t.Fatalf("my app: %s", page)
	}
	res, page := b.Post(h.srv.URL+"/myapps/apps/"+CallrecClientID+"/revoke", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "No apps have been granted access.") {
		t.Fatalf("after revoke: %s", page)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t, 0)
	graph := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	h.call("POST", "/v1.0/groups", graph, map[string]any{"displayName": "Recorded Users", "mailNickname": "recorded_users", "mailEnabled": false, "securityEnabled": true}, nil)
	var buf bytes.Buffer
	if err := h.emu.Save(&buf); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, 0)
	if err := h2.emu.Load(&buf); err != nil {
		t.Fatal(err)
	}
	h2.clock.Advance(time.Minute)
	var list struct{ Value []map[string]any }
	h2.call("GET", "/v1.0/groups?$filter=mailNickname%20eq%20'recorded_users'", graph, nil, &list)
	if len(list.Value) != 1 {
		t.Fatalf("restored groups: %+v", list)
	}
}
