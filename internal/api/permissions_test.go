package api_test

import (
	"net/http"
	"testing"

	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// Every route answers each role as the catalogue says: 401 without a usable
// credential, 403 without the permission, success (or 404 for an unknown id)
// with it.
func TestRolePermissionsOnEveryRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokenClient("A:admin")
		groupID := admin.want(http.StatusCreated, "POST", "/api/v1/groups", map[string]any{"name": "Team"}).body["id"].(string)
		target := e.users["A:user"].ID

		// Session callers for portal roles, token callers for API roles.
		callers := map[string]*client{}
		for _, role := range []string{roles.Admin, roles.Supervisor, roles.UserSelfView} {
			c, res := e.sessionClient(e.users["A:"+role].Login, testPassword, "")
			acceptTermsIfAsked(t, c, res)
			callers[role] = c
		}
		callers[roles.APIUser] = e.tokenClient("A:" + roles.APIUser)
		// A plain user has no portal and no API access: sign-in is refused
		// and a token minted for them does not authenticate.
		if _, res := e.sessionClient(e.users["A:user"].Login, testPassword, ""); res.status != http.StatusForbidden {
			t.Fatalf("plain user sign-in: %d, want 403", res.status)
		}
		callers[roles.User] = e.tokenClient("A:" + roles.User)
		callers["anonymous"] = &client{e: e}
		prov, res := e.sessionClient("provider", testPassword, "")
		acceptTermsIfAsked(t, prov, res)
		prov.tenant = e.tenantA.ID
		callers[roles.ProviderAdmin] = prov

		type route struct {
			method, path string
			body         any
			ok           int
			perm         roles.Permission // "" = any authenticated caller
		}
		routes := []route{
			{"GET", "/api/v1/me", nil, 200, ""},
			{"GET", "/api/v1/roles", nil, 200, ""},
			{"GET", "/api/v1/users", nil, 200, roles.UsersManage},
			{"POST", "/api/v1/users", map[string]any{"name": "New", "role": "user"}, 201, roles.UsersManage},
			{"GET", "/api/v1/users/" + target, nil, 200, roles.UsersManage},
			{"PATCH", "/api/v1/users/" + target, map[string]any{"email": "x@example.com"}, 200, roles.UsersManage},
			{"DELETE", "/api/v1/users/does-not-exist", nil, 404, roles.UsersManage},
			{"POST", "/api/v1/users/" + target + "/reset-two-factor", nil, 204, roles.UsersManage},
			{"GET", "/api/v1/groups", nil, 200, roles.UsersManage},
			{"POST", "/api/v1/groups", map[string]any{"name": "G-{{role}}"}, 201, roles.UsersManage},
			{"GET", "/api/v1/groups/" + groupID, nil, 200, roles.UsersManage},
			{"PATCH", "/api/v1/groups/" + groupID, map[string]any{"timezone": "Europe/Paris"}, 200, roles.UsersManage},
			{"DELETE", "/api/v1/groups/does-not-exist", nil, 404, roles.UsersManage},
			{"GET", "/api/v1/groups/" + groupID + "/members", nil, 200, roles.UsersManage},
			{"PUT", "/api/v1/groups/" + groupID + "/members/" + target, nil, 204, roles.UsersManage},
			{"DELETE", "/api/v1/groups/" + groupID + "/members/" + target, nil, 204, roles.UsersManage},
			{"GET", "/api/v1/licenses", nil, 200, roles.UsersManage},
			{"GET", "/api/v1/tenants", nil, 200, roles.TenantsManage},
			{"POST", "/api/v1/tenants", map[string]any{"name": "T-{{role}}"}, 201, roles.TenantsManage},
			{"GET", "/api/v1/tenants/" + e.tenantA.ID, nil, 200, roles.SettingsManage},
			{"PATCH", "/api/v1/tenants/" + e.tenantA.ID, map[string]any{"timezone": "Europe/Berlin"}, 200, roles.SettingsManage},
			{"GET", "/api/v1/tokens", nil, 200, roles.APIAccess},
			{"POST", "/api/v1/tokens", map[string]any{"name": "n"}, 201, roles.APIAccess},
			{"DELETE", "/api/v1/tokens/does-not-exist", nil, 404, roles.APIAccess},
			{"GET", "/api/v1/audit", nil, 200, roles.AuditView},
			{"PUT", "/api/v1/me/tenant", map[string]any{"tenant_id": ""}, 204, roles.TenantsManage},
		}
		for who, c := range callers {
			for _, rt := range routes {
				want := rt.ok
				switch {
				case who == "anonymous" || who == roles.User:
					want = http.StatusUnauthorized
				case rt.perm != "" && !roles.Has(who, rt.perm):
					want = http.StatusForbidden
				}
				body := rt.body
				if m, ok := body.(map[string]any); ok {
					body = withRole(m, who)
				}
				if r := c.do(rt.method, rt.path, body); r.status != want {
					t.Errorf("%s %s as %s: %d, want %d (%s)", rt.method, rt.path, who, r.status, want, r.raw)
				}
			}
		}
	})
}

// withRole makes names unique per caller so creations do not collide.
func withRole(m map[string]any, role string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if s, ok := v.(string); ok && (k == "name") && len(s) > 2 && s[len(s)-2:] == "}}" {
			v = s[:len(s)-len("{{role}}")] + role
		}
		out[k] = v
	}
	return out
}

func acceptTermsIfAsked(t *testing.T, c *client, res *response) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", res.status, res.raw)
	}
	if res.body["stage"] == "terms" {
		c.want(http.StatusOK, "POST", "/api/v1/me/terms", map[string]any{"version": 1})
	}
}
