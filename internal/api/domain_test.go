package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"callrec/internal/account"
	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// Concurrent assignments never take more licenses than the pool holds, and
// a refused assignment changes nothing, not even the other licenses asked
// for in the same request.
func TestLicensePoolExhaustionIsAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		prov := e.tokenClient("provider")
		prov.want(http.StatusOK, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"licenses": map[string]int{"call_recording": 3, "live_monitoring": 100}})
		admin := e.tokenClient("A:admin")
		var ids []string
		for i := 0; i < 10; i++ {
			r := admin.want(http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": fmt.Sprintf("Agent %d", i), "role": "user"})
			ids = append(ids, r.body["id"].(string))
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(ids))
		codes := make([]string, len(ids))
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := admin.do("PATCH", "/api/v1/users/"+id, map[string]any{"licenses": []string{"live_monitoring", "call_recording"}, "email": "agent@example.com"})
				statuses[i], codes[i] = r.status, r.errCode()
			}()
		}
		wg.Wait()
		ok := 0
		for i := range ids {
			switch {
			case statuses[i] == http.StatusOK:
				ok++
			case statuses[i] != http.StatusConflict || codes[i] != "license_unavailable":
				t.Errorf("assignment %d: %d %s", i, statuses[i], codes[i])
			}
		}
		if ok != 3 {
			t.Fatalf("%d assignments succeeded, want exactly 3", ok)
		}
		pools := admin.want(http.StatusOK, "GET", "/api/v1/licenses", nil).items()
		used := map[string]float64{}
		for _, p := range pools {
			m := p.(map[string]any)
			used[m["type"].(string)] = m["used"].(float64)
		}
		if used["call_recording"] != 3 || used["live_monitoring"] != 3 {
			t.Fatalf("used %v, want 3 call_recording and 3 live_monitoring (refused requests must not keep the first license)", used)
		}
		for i, id := range ids {
			u := admin.want(http.StatusOK, "GET", "/api/v1/users/"+id, nil).body
			if statuses[i] != http.StatusOK && (len(u["licenses"].([]any)) != 0 || u["email"] != "") {
				t.Errorf("refused user %d was changed: %v %v", i, u["licenses"], u["email"])
			}
		}
		// The pool cannot shrink below what is assigned.
		r := prov.want(http.StatusBadRequest, "PATCH", "/api/v1/tenants/"+e.tenantA.ID, map[string]any{"licenses": map[string]int{"call_recording": 2}})
		if r.field("licenses.call_recording") == "" {
			t.Fatalf("shrinking pool: %s", r.raw)
		}
	})
}

func TestDefaultGroupIsFixed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		groups := admin.want(http.StatusOK, "GET", "/api/v1/groups", nil).items()
		def := groups[0].(map[string]any)
		if def["is_default"] != true || def["name"] != account.DefaultGroupName {
			t.Fatalf("first group %v, want the default group", def)
		}
		id := def["id"].(string)
		if n := def["total_users"].(float64); n != 5 {
			t.Fatalf("default group counts %v users, want the 5 of tenant A", n)
		}
		user := e.users["A:user"].ID
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", "/api/v1/groups/" + id, map[string]any{"name": "Renamed"}},
			{"PATCH", "/api/v1/groups/" + id, map[string]any{"timezone": "Europe/Paris"}},
			{"DELETE", "/api/v1/groups/" + id, nil},
			{"DELETE", "/api/v1/groups/" + id + "/members/" + user, nil},
		} {
			if r := admin.do(c.method, c.path, c.body); r.status != http.StatusConflict || r.errCode() != "conflict" {
				t.Errorf("%s %s: %d %s, want 409 conflict", c.method, c.path, r.status, r.raw)
			}
		}
		// Setting a user's groups never drops the default group.
		other := admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Support"}).body["id"].(string)
		u := admin.want(http.StatusOK, "PATCH", "/api/v1/users/"+user, map[string]any{"groups": []string{other}}).body
		if gs := fmt.Sprint(u["groups"]); !strings.Contains(gs, id) || !strings.Contains(gs, other) {
			t.Fatalf("groups %s, want default and Support", gs)
		}
		g := admin.want(http.StatusOK, "GET", "/api/v1/groups/"+id, nil).body
		if g["name"] != account.DefaultGroupName || g["timezone"] != "" {
			t.Fatalf("default group changed: %v", g)
		}
		members := admin.want(http.StatusOK, "GET", "/api/v1/groups/"+id+"/members", nil).items()
		if len(members) != 5 {
			t.Fatalf("default group has %d members, want all 5 users of tenant A", len(members))
		}
		// Deleting another group keeps its members as users.
		admin.want(http.StatusNoContent, "DELETE", "/api/v1/groups/"+other, nil)
		admin.want(http.StatusOK, "GET", "/api/v1/users/"+user, nil)
	})
}

// Bad input gets 400 validation_failed naming the field and changes nothing.
func TestMalformedInputIsRefusedAndChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		user := e.users["A:user"]
		path := "/api/v1/users/" + user.ID
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"malformed JSON", `{"name": "x"`, "body"},
			{"not an object", `[1,2]`, "body"},
			{"trailing data", `{"name":"x"} {"name":"y"}`, "body"},
			{"unknown field", `{"name":"x","is_admin":true}`, "is_admin"},
			{"wrong type string", `{"name": 42}`, "name"},
			{"wrong type bool", `{"active": "yes"}`, "active"},
			{"wrong type list", `{"extensions": "1234"}`, "extensions"},
			{"oversized", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, "body"},
			{"empty name", map[string]any{"name": " "}, "name"},
			{"bad role", map[string]any{"role": "root"}, "role"},
			{"provider role", map[string]any{"role": roles.ProviderAdmin}, "role"},
			{"bad record", map[string]any{"record": "sometimes"}, "record"},
			{"bad email", map[string]any{"email": "not-an-email"}, "email"},
			{"bad timezone", map[string]any{"timezone": "Mars/Olympus"}, "timezone"},
			{"bad language", map[string]any{"language": "tlh"}, "language"},
			{"short extension", map[string]any{"extensions": []string{"12"}}, "extensions"},
			{"duplicate extension", map[string]any{"extensions": []string{"1234", "1234"}}, "extensions"},
			{"bad screen username", map[string]any{"screen_recording_username": `a\b\c`}, "screen_recording_username"},
			{"bad auth type", map[string]any{"auth_type": "kerberos"}, "auth_type"},
			{"bad pin", map[string]any{"pin": "12a4"}, "pin"},
			{"short pin", map[string]any{"pin": "12"}, "pin"},
			{"bad valid till", map[string]any{"valid_till": "next week"}, "valid_till"},
			{"bad license", map[string]any{"licenses": []string{"unlimited"}}, "licenses"},
			{"bad speech type", map[string]any{"speech_analytics_type": "premium"}, "speech_analytics_type"},
			{"foreign group", map[string]any{"groups": []string{"nope"}}, "groups"},
		}
		before := admin.want(http.StatusOK, "GET", path, nil).raw
		for _, c := range cases {
			r := admin.do("PATCH", path, c.body)
			if r.status != http.StatusBadRequest || r.errCode() != "validation_failed" || r.field(c.field) == "" {
				t.Errorf("%s: %d %s, want 400 validation_failed naming %q", c.name, r.status, r.raw, c.field)
			}
		}
		if after := admin.want(http.StatusOK, "GET", path, nil).raw; after != before {
			t.Fatalf("refused requests changed the user:\n%s\n%s", before, after)
		}
		// Extensions are unique within a tenant, but another tenant may reuse them.
		admin.want(http.StatusOK, "PATCH", path, map[string]any{"extensions": []string{"2001", "+15551230000", "0a1b2c3d-1111-2222-3333-444455556666"}})
		r := admin.do("PATCH", "/api/v1/users/"+e.users["A:supervisor"].ID, map[string]any{"extensions": []string{"2001"}})
		if r.status != http.StatusBadRequest || r.field("extensions") == "" {
			t.Fatalf("extension taken in the tenant: %s", r.raw)
		}
		e.tokenClient("B:admin").want(http.StatusOK, "PATCH", "/api/v1/users/"+e.users["B:admin"].ID, map[string]any{"extensions": []string{"2001"}})
		// Logins are unique across the installation.
		r = admin.do("PATCH", path, map[string]any{"login": e.users["B:admin"].Login})
		if r.status != http.StatusBadRequest || r.field("login") == "" {
			t.Fatalf("login taken in another tenant: %s", r.raw)
		}
	})
}

func TestAuditRecordsChangesAndSignIns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		g := admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Audited"}).body["id"].(string)
		admin.want(http.StatusOK, "PATCH", "/api/v1/users/"+e.users["A:user"].ID, map[string]any{"pin": "4321"})
		e.sessionClient(e.users["A:supervisor"].Login, "Wrong#Pass1", "")
		e.sessionClient(e.users["A:supervisor"].Login, testPassword, "")
		e.sessionClient("ghost", testPassword, "")

		entries := admin.want(http.StatusOK, "GET", "/api/v1/audit?limit=100", nil).items()
		seen := map[string]map[string]any{}
		for _, it := range entries {
			m := it.(map[string]any)
			seen[m["action"].(string)+":"+m["object_id"].(string)] = m
			if strings.Contains(fmt.Sprint(m["detail"]), "4321") {
				t.Errorf("audit detail leaks the PIN: %v", m["detail"])
			}
		}
		sup := e.users["A:supervisor"].ID
		for _, key := range []string{"group.create:" + g, "user.update:" + e.users["A:user"].ID, "signin.failure:" + sup, "signin.success:" + sup} {
			m, ok := seen[key]
			if !ok {
				t.Errorf("no audit entry %s", key)
				continue
			}
			if m["ip"] == "" && strings.HasPrefix(key, "signin") {
				t.Errorf("%s has no address", key)
			}
		}
		if e := seen["group.create:"+g]; e != nil && e["actor_login"] != "a-admin" {
			t.Errorf("group.create actor %v", e["actor_login"])
		}
		// Filters narrow the list.
		only := admin.want(http.StatusOK, "GET", "/api/v1/audit?action=signin.", nil).items()
		for _, it := range only {
			if a := it.(map[string]any)["action"].(string); !strings.HasPrefix(a, "signin.") {
				t.Errorf("action filter let %s through", a)
			}
		}
		if len(only) < 2 {
			t.Errorf("action filter found %d sign-in entries", len(only))
		}
		// Unknown logins are audited without a tenant, so no tenant sees them.
		var ghosts int
		for _, it := range entries {
			if it.(map[string]any)["actor_login"] == "ghost" {
				ghosts++
			}
		}
		if ghosts != 0 {
			t.Errorf("tenant A sees sign-in attempts for unknown logins")
		}
	})
}

// TestTenantDefaultRecord: a tenant admin sets the rule of users whose
// Record setting is "default"; a value outside always, on_demand and never
// is refused naming the field and changes nothing.
func TestTenantDefaultRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		path := "/api/v1/tenants/" + e.tenantA.ID
		if got := admin.want(http.StatusOK, "GET", path, nil).body["default_record"]; got != "always" {
			t.Fatalf("new tenant's default_record = %v, want always", got)
		}
		admin.want(http.StatusOK, "PATCH", path, map[string]any{"default_record": "on_demand"})
		r := admin.want(http.StatusBadRequest, "PATCH", path, map[string]any{"default_record": "sometimes", "timezone": "Europe/Berlin"})
		if r.field("default_record") == "" {
			t.Fatalf("bad rule: %s", r.raw)
		}
		got := admin.want(http.StatusOK, "GET", path, nil).body
		if got["default_record"] != "on_demand" || got["timezone"] == "Europe/Berlin" {
			t.Errorf("after a refused PATCH: default_record %v, timezone %v", got["default_record"], got["timezone"])
		}
	})
}
