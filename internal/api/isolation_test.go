package api_test

import (
	"net/http"
	"testing"

	"callrec/internal/store/storetest"
)

// A caller of tenant B gets 404 for every resource of tenant A, by id, and
// never sees A's resources in lists.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		a := e.tokenClient("A:admin")
		groupA := a.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Sales"}).body["id"].(string)
		userA := e.users["A:user"].ID
		tokenA := a.want(http.StatusCreated, "POST", "/api/v1/tokens", map[string]any{"name": "ci"}).body["id"].(string)

		other := e.tokenClient("B:admin")
		userB := e.users["B:admin"].ID
		cases := []struct{ method, path string }{
			{"GET", "/api/v1/users/" + userA},
			{"PATCH", "/api/v1/users/" + userA},
			{"DELETE", "/api/v1/users/" + userA},
			{"POST", "/api/v1/users/" + userA + "/reset-two-factor"},
			{"GET", "/api/v1/groups/" + groupA},
			{"PATCH", "/api/v1/groups/" + groupA},
			{"DELETE", "/api/v1/groups/" + groupA},
			{"GET", "/api/v1/groups/" + groupA + "/members"},
			{"PUT", "/api/v1/groups/" + groupA + "/members/" + userB},
			{"DELETE", "/api/v1/groups/" + groupA + "/members/" + userA},
			{"GET", "/api/v1/tenants/" + e.tenantA.ID},
			{"PATCH", "/api/v1/tenants/" + e.tenantA.ID},
			{"DELETE", "/api/v1/tokens/" + tokenA},
		}
		for _, c := range cases {
			var body any
			if c.method == "PATCH" {
				body = map[string]any{"name": "Hijacked"}
			}
			r := other.do(c.method, c.path, body)
			if r.status != http.StatusNotFound || r.errCode() != "not_found" {
				t.Errorf("%s %s as tenant B: %d %s, want 404 not_found", c.method, c.path, r.status, r.raw)
			}
		}
		// B's own group cannot take A's user either.
		groupB := other.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Ops"}).body["id"].(string)
		if r := other.do("PUT", "/api/v1/groups/"+groupB+"/members/"+userA, nil); r.status != http.StatusNotFound {
			t.Errorf("adding A's user to B's group: %d, want 404", r.status)
		}
		// B cannot assign A's group to its own user.
		if r := other.do("PATCH", "/api/v1/users/"+userB, map[string]any{"groups": []string{groupA}}); r.status != http.StatusBadRequest {
			t.Errorf("assigning A's group: %d, want 400", r.status)
		}
		lists := map[string][]string{
			"/api/v1/users":  {userA, e.users["A:admin"].ID},
			"/api/v1/groups": {groupA},
			"/api/v1/tokens": {tokenA},
			"/api/v1/audit":  {userA, groupA},
		}
		for path, forbidden := range lists {
			r := other.want(http.StatusOK, "GET", path, nil)
			for _, it := range r.items() {
				m := it.(map[string]any)
				for _, id := range forbidden {
					if m["id"] == id || m["object_id"] == id {
						t.Errorf("%s as tenant B lists tenant A's %s", path, id)
					}
				}
			}
		}
		// A is untouched.
		if r := a.want(http.StatusOK, "GET", "/api/v1/groups/"+groupA, nil); r.body["name"] != "Sales" {
			t.Errorf("tenant A's group changed: %v", r.body)
		}
	})
}

// A provider admin acts in the tenant named by X-Tenant-ID, and only there.
func TestProviderPicksTenant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		p := e.tokenClient("provider")
		if r := p.do("GET", "/api/v1/users", nil); r.status != http.StatusBadRequest || r.field("X-Tenant-ID") == "" {
			t.Fatalf("provider without tenant: %d %s", r.status, r.raw)
		}
		p.tenant = e.tenantB.ID
		r := p.want(http.StatusOK, "GET", "/api/v1/users", nil)
		if len(r.items()) != 1 {
			t.Fatalf("provider in tenant B sees %d users, want 1", len(r.items()))
		}
		if r := p.do("GET", "/api/v1/users/"+e.users["A:admin"].ID, nil); r.status != http.StatusNotFound {
			t.Fatalf("provider acting in B reads A's user: %d", r.status)
		}
		p.tenant = "no-such-tenant"
		if r := p.do("GET", "/api/v1/users", nil); r.status != http.StatusBadRequest {
			t.Fatalf("unknown tenant: %d", r.status)
		}
	})
}
