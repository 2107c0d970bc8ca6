package msemu

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGraphAuthErrors(t *testing.T) {
	h := newHarness(t, 0)
	graph := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	teams := h.delegated("AdeleV@"+ContosoDomain, TeamsAdminAppID+"/.default")
	alex := h.delegated("AlexW@"+ContosoDomain, "User.Read")
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "InvalidAuthenticationToken"},
		{"garbage", "abc.def.ghi", 401, "InvalidAuthenticationToken"},
		{"wrong audience", teams, 401, "InvalidAuthenticationToken"},
		{"missing permission", alex, 403, "Authorization_RequestDenied"},
		{"ok", graph, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			res := h.call("GET", "/v1.0/users", tc.token, nil, &e)
			if res.StatusCode != tc.status || e.Error.Code != tc.code {
				t.Fatalf("got %d %+v", res.StatusCode, e)
			}
		})
	}
	h.clock.Advance(2 * time.Hour)
	if res := h.call("GET", "/v1.0/users", graph, nil, nil); res.StatusCode != 401 {
		t.Fatalf("expired token: %d", res.StatusCode)
	}
}

func TestGraphUsersQuery(t *testing.T) {
	h := newHarness(t, 0)
	tok := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	var page struct {
		Value []map[string]any
		Next  string `json:"@odata.nextLink"`
	}
	h.call("GET", "/v1.0/users?$select=id,userPrincipalName,displayName&$top=5", tok, nil, &page)
	if len(page.Value) != 5 || len(page.Value[0]) != 3 || page.Next == "" {
		t.Fatalf("first page: %+v", page)
	}
	total := len(page.Value)
	for page.Next != "" {
		next := strings.TrimPrefix(page.Next, h.srv.URL)
		page.Next = ""
		page.Value = nil
		h.call("GET", next, tok, nil, &page)
		total += len(page.Value)
	}
	if total != len(contosoPeople()) {
		t.Fatalf("paged %d users, want %d", total, len(contosoPeople()))
	}
	h.call("GET", "/v1.0/users?$filter="+url.QueryEscape("userPrincipalName eq 'meganb@contoso.onmicrosoft.com'"), tok, nil, &page)
	if len(page.Value) != 1 || page.Value[0]["displayName"] != "Megan Bowen" {
		t.Fatalf("filter: %+v", page)
	}
	var e errBody
	if res := h.call("GET", "/v1.0/users?$select=nosuch", tok, nil, &e); res.StatusCode != 400 || e.Error.Code != "Request_BadRequest" {
		t.Fatalf("bad select: %d %+v", res.StatusCode, e)
	}
	if res := h.call("GET", "/v1.0/users?$filter=jobTitle%20eq%20'x'", tok, nil, &e); res.StatusCode != 400 {
		t.Fatalf("unsupported filter: %d", res.StatusCode)
	}
}

func TestGraphGroupsAndMembers(t *testing.T) {
	h := newHarness(t, 0)
	tok := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	f, tt := false, true
	tests := []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"security group", map[string]any{"displayName": "Recorded Users", "mailNickname": "recorded_users", "mailEnabled": f, "securityEnabled": tt, "groupTypes": []string{}}, 201, ""},
		{"m365 group", map[string]any{"displayName": "Team", "mailNickname": "team1", "mailEnabled": tt, "securityEnabled": f, "groupTypes": []string{"Unified"}}, 201, ""},
		{"m365 duplicate nickname", map[string]any{"displayName": "Team", "mailNickname": "team1", "mailEnabled": tt, "securityEnabled": f, "groupTypes": []string{"Unified"}}, 400, "proxyAddresses"},
		{"nickname with space", map[string]any{"displayName": "X", "mailNickname": "recorded users", "mailEnabled": f, "securityEnabled": tt}, 400, "mailNickname"},
		{"nickname with @", map[string]any{"displayName": "X", "mailNickname": "a@b", "mailEnabled": f, "securityEnabled": tt}, 400, "mailNickname"},
		{"nickname too long", map[string]any{"displayName": "X", "mailNickname": strings.Repeat("a", 65), "mailEnabled": f, "securityEnabled": tt}, 400, "mailNickname"},
		{"nickname non-ascii", map[string]any{"displayName": "X", "mailNickname": "grüße", "mailEnabled": f, "securityEnabled": tt}, 400, "mailNickname"},
		{"mail-enabled security", map[string]any{"displayName": "X", "mailNickname": "x", "mailEnabled": tt, "securityEnabled": tt}, 400, "mail-enabled"},
		{"no displayName", map[string]any{"mailNickname": "x", "mailEnabled": f, "securityEnabled": tt}, 400, "displayName"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			res := h.call("POST", "/v1.0/groups", tok, tc.body, &e)
			if res.StatusCode != tc.status || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("got %d %+v", res.StatusCode, e)
			}
		})
	}
	var list struct{ Value []map[string]any }
	h.call("GET", "/v1.0/groups?$filter="+url.QueryEscape("mailNickname eq 'recorded_users'")+"&$select=id,displayName,mail", tok, nil, &list)
	if len(list.Value) != 1 || list.Value[0]["mail"] != nil {
		t.Fatalf("filter by mailNickname: %+v", list)
	}
	gid := list.Value[0]["id"].(string)
	_, megan := h.emu.w.findUserByUPN("MeganB@" + ContosoDomain)
	ref := map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + megan.ID}
	if res := h.call("POST", "/v1.0/groups/"+gid+"/members/$ref", tok, ref, nil); res.StatusCode != 204 {
		t.Fatalf("add member: %d", res.StatusCode)
	}
	var e errBody
	res := h.call("POST", "/v1.0/groups/"+gid+"/members/$ref", tok, ref, &e)
	if res.StatusCode != 400 || e.Error.Code != "Request_BadRequest" || !strings.HasPrefix(e.Error.Message, "One or more added object references already exist") {
		t.Fatalf("duplicate member: %d %+v", res.StatusCode, e)
	}
	h.call("GET", "/v1.0/groups/"+gid+"/members", tok, nil, &list)
	if len(list.Value) != 1 || list.Value[0]["@odata.type"] != "#microsoft.graph.user" {
		t.Fatalf("members: %+v", list)
	}
	if res := h.call("DELETE", "/v1.0/groups/"+gid+"/members/"+megan.ID+"/$ref", tok, nil, nil); res.StatusCode != 204 {
		t.Fatalf("remove member: %d", res.StatusCode)
	}
	if res := h.call("DELETE", "/v1.0/groups/"+gid+"/members/"+megan.ID+"/$ref", tok, nil, nil); res.StatusCode != 404 {
		t.Fatalf("remove again: %d", res.StatusCode)
	}
	// Tenant isolation: Fabrikam cannot see Contoso's group.
	fab := h.delegated("MonaK@"+FabrikamDomain, "https://graph.microsoft.com/.default")
	if res := h.call("GET", "/v1.0/groups/"+gid, fab, nil, nil); res.StatusCode != 404 {
		t.Fatalf("cross-tenant read: %d", res.StatusCode)
	}
	if res := h.call("DELETE", "/v1.0/groups/"+gid, tok, nil, nil); res.StatusCode != 204 {
		t.Fatalf("delete group: %d", res.StatusCode)
	}
}

func TestGraphReplicationDelay(t *testing.T) {
	h := newHarness(t, 30*time.Second)
	tok := h.delegated("AdeleV@"+ContosoDomain, "https://graph.microsoft.com/.default")
	var g map[string]any
	h.call("POST", "/v1.0/groups", tok, map[string]any{"displayName": "Recorded Users", "mailNickname": "recorded_users", "mailEnabled": false, "securityEnabled": true}, &g)
	id := g["id"].(string)
	_, alex := h.emu.w.findUserByUPN("AlexW@" + ContosoDomain)
	ref := map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/" + alex.ID}
	if res := h.call("GET", "/v1.0/groups/"+id, tok, nil, nil); res.StatusCode != 404 {
		t.Fatalf("read before replication: %d", res.StatusCode)
	}
	if res := h.call("POST", "/v1.0/groups/"+id+"/members/$ref", tok, ref, nil); res.StatusCode != 404 {
		t.Fatalf("dependent write before replication: %d", res.StatusCode)
	}
	h.clock.Advance(31 * time.Second)
	if res := h.call("POST", "/v1.0/groups/"+id+"/members/$ref", tok, ref, nil); res.StatusCode != 204 {
		t.Fatalf("write after replication: %d", res.StatusCode)
	}
}

func TestGraphGrantsRevocation(t *testing.T) {
	h := newHarness(t, 0)
	admin := h.delegated("AdeleV@"+ContosoDomain, "Directory.ReadWrite.All")
	conf := oauthConfig(h, "organizations", "openid", "offline_access", "https://graph.microsoft.com/.default")
	var list struct{ Value []map[string]any }
	h.call("GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+CallrecClientID+"'"), admin, nil, &list)
	spID := list.Value[0]["id"].(string)
	h.call("GET", "/v1.0/oauth2PermissionGrants?$filter="+url.QueryEscape("clientId eq '"+spID+"'"), admin, nil, &list)
	if len(list.Value) < 2 {
		t.Fatalf("grants: %+v", list)
	}
	var roles struct{ Value []map[string]any }
	h.call("GET", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments", admin, nil, &roles)
	if len(roles.Value) != 7 {
		t.Fatalf("app roles: %+v", roles)
	}
	for _, g := range list.Value {
		if res := h.call("DELETE", "/v1.0/oauth2PermissionGrants/"+g["id"].(string), admin, nil, nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("delete grant: %d", res.StatusCode)
		}
	}
	// After revocation a ordinary user's sign-in must ask again.
	b := newBrowser(t)
	_, page := b.Get(conf.AuthCodeURL("s"))
	_, page = b.signIn(page, "AlexW@"+ContosoDomain, UserPassword)
	if !strings.Contains(page, "Need admin approval") {
		t.Fatalf("after revoke: %s", page)
	}
}
