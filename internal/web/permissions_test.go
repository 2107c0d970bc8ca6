package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"callrec/internal/auth"
	"callrec/internal/roles"
	"callrec/internal/store/storetest"
)

// rule is a route's declared rule, in one form for both tables.
type rule struct {
	public   bool
	signedIn bool               // any signed-in caller
	anyOf    []roles.Permission // or one of these
	tenant   bool               // inside the acting tenant
	okStage  bool               // a fully signed-in session may open it
}

func (r rule) allows(role string) bool {
	return r.public || r.signedIn || slices.ContainsFunc(r.anyOf, func(p roles.Permission) bool { return roles.Has(role, p) })
}

// route is one registered route of either table, as the walk tries it.
type route struct {
	door    string // "api" or "portal"
	pattern string
	rule    rule
}

// apiSignedIn are the API routes open to any signed-in caller by design:
// the caller's own session, account and sign-in steps, and the read-only
// role catalogue. A new route without a permission fails the walk unless
// it is added here, on purpose.
var apiSignedIn = map[string]bool{
	"DELETE /api/v1/session": true, "GET /api/v1/me": true, "POST /api/v1/me/two-factor/verify": true,
	"POST /api/v1/me/two-factor": true, "POST /api/v1/me/two-factor/confirm": true, "POST /api/v1/me/recovery-codes": true,
	"POST /api/v1/me/terms": true, "GET /api/v1/roles": true,
}

// apiBodies are harmless, valid bodies for the API routes that check their
// body before the caller's permission:
// with an invalid one they answer 400 to everyone, and the walk wants the
// authorization answer.
var apiBodies = map[string]string{
	"PUT /api/v1/calls/{id}/confidential": `{"confidential":false}`,
}

// routes reads both tables from the handlers web.Build registered; a route
// that declares no rule is an error naming it.
func (w *world) routes(t *testing.T) []route {
	var out []route
	for _, r := range w.server.API {
		rt := route{door: "api", pattern: r.Pattern, rule: rule{public: r.Public, tenant: r.Tenant, okStage: true}}
		if apiSignedIn[r.Pattern] && (r.Permission != "" || r.Rule.Name != "") {
			t.Errorf("%s now declares a permission: remove it from apiSignedIn", r.Pattern)
		}
		switch {
		case r.Public:
		case r.Permission != "":
			rt.rule.anyOf = []roles.Permission{r.Permission}
		case r.Rule.Name != "" && len(r.Rule.AnyOf) > 0:
			rt.rule.anyOf = r.Rule.AnyOf
		case apiSignedIn[r.Pattern]:
			rt.rule.signedIn = true
		default:
			t.Errorf("API route %s declares no rule: give it a permission in api.Register (or, if any signed-in caller may use it, add it to apiSignedIn)", r.Pattern)
			continue
		}
		out = append(out, rt)
	}
	for _, r := range w.server.Portal {
		rt := route{door: "portal", pattern: r.Pattern, rule: rule{public: r.Public, signedIn: r.SignedIn, tenant: r.Tenant,
			okStage: slices.Contains(r.Stages, auth.StageOK)}}
		switch {
		case r.Public, r.SignedIn:
		case r.Permission != "":
			rt.rule.anyOf = []roles.Permission{r.Permission}
		case r.Rule.Name != "" && len(r.Rule.AnyOf) > 0:
			rt.rule.anyOf = r.Rule.AnyOf
		default:
			t.Errorf("portal route %s declares no rule", r.Pattern)
			continue
		}
		out = append(out, rt)
	}
	return out
}

// want is the answer a caller must get.
type want string

const (
	served     want = "served"           // anything but 401, 403 or a 5xx
	public     want = "public"           // answered without a caller: no 401, no 5xx
	signIn     want = "sign-in"          // portal: to the sign-in page; API: 401
	stagePage  want = "its stage's page" // portal: a full session is sent home
	forbidden  want = "403"
	pickTenant want = "pick a tenant" // portal: 409; API: 400
	notFound   want = "404"
)

// expect is what the declared rule says c must get for the target.
func expect(rt route, c walker, tg target, s side) want {
	switch {
	case rt.rule.public:
		return public
	case !authenticates(rt.door, c):
		return signIn
	case rt.door == "portal" && !rt.rule.okStage:
		return stagePage
	case !rt.rule.allows(c.user.Role):
		return forbidden
	case rt.rule.tenant && c.pick == "" && c.user.TenantID == "":
		return pickTenant
	case s == other && !seesEveryTenant(tg, c):
		return notFound
	}
	return served
}

// authenticates reports whether the credential the walk sends c with
// through door resolves: a session needs portal access, a token api.access.
func authenticates(door string, c walker) bool {
	if c.anonymous() {
		return false
	}
	portal := roles.Has(c.user.Role, roles.PortalAccess)
	if door == "portal" {
		return portal
	}
	return portal || roles.Has(c.user.Role, roles.APIAccess)
}

// seesEveryTenant: a provider admin may open any tenant by its id, and a
// tenant's SCIM tokens, which are addressed under the tenant.
func seesEveryTenant(tg target, c walker) bool {
	for _, k := range tg.kinds {
		if tenantBound(k) && k != "tenant" && k != "scim_token" {
			return false
		}
	}
	return roles.Has(c.user.Role, roles.TenantsManage)
}

// refused reports whether the answer is a refusal for want of a
// permission: the API's 403 forbidden, the portal's Not allowed page (a
// 403 for an expired form or a step not open yet is no such refusal).
func refused(door string, a answer) bool {
	if a.status != http.StatusForbidden {
		return false
	}
	if door == "api" {
		return a.code() == "forbidden"
	}
	return strings.Contains(a.body, "Your role does not give access to this page.")
}

// check reports how the answer differs from want, or "".
func check(door string, w want, a answer) string {
	ok := false
	switch w {
	case served:
		ok = a.status < 500 && a.status != http.StatusUnauthorized && !refused(door, a)
	case public:
		ok = a.status < 500 && a.code() != "unauthorized"
	case signIn:
		ok = door == "api" && a.status == http.StatusUnauthorized ||
			door == "portal" && a.status == http.StatusSeeOther && strings.HasPrefix(a.location, "/login")
	case stagePage:
		ok = a.status == http.StatusSeeOther && a.location == "/"
	case forbidden:
		ok = refused(door, a)
	case pickTenant:
		ok = door == "api" && a.status == http.StatusBadRequest || door == "portal" && a.status == http.StatusConflict
	case notFound:
		ok = a.status == http.StatusNotFound
	}
	if ok {
		return ""
	}
	return "want " + string(w)
}

// TestEveryRouteAnswersEveryRole walks every route of both tables, as
// registered by web.Build, as every role of tenant A, the provider admin
// (acting in A, and in its own view) and an anonymous visitor, naming
// objects of the caller's own tenant and of tenant B, and holds each
// answer to the route's declared rule: a caller without the permission
// gets 403, another tenant's object 404, never a 2xx, and no answer to a
// caller of A shows anything of B.
func TestEveryRouteAnswersEveryRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		w := newWorld(t, b)
		routes, callers := w.routes(t), w.walkers()
		tl := &tally{wants: map[want]int{}}
		for _, rt := range routes {
			for _, c := range callers {
				for _, s := range []side{own, other} {
					if !w.try(t, rt, c, s, tl) {
						break
					}
				}
			}
		}
		t.Logf("walked %d API and %d portal routes as %d callers: %d requests, answers wanted %v", len(w.server.API),
			len(w.server.Portal), len(callers), tl.requests, tl.wants)
	})
}

// tally counts what the walk asked and met.
type tally struct {
	requests int
	wants    map[want]int
}

// try sends one request of the walk and checks its answer; false when the
// route cannot be walked at all (the error names it).
func (w *world) try(t *testing.T, rt route, c walker, s side, tl *tally) bool {
	t.Helper()
	tg, err := w.fill(rt.pattern, c, s)
	if err != nil {
		t.Errorf("%s: %v", rt.pattern, err)
		return false
	}
	if s == other && !tg.bound() {
		return true // nothing of a tenant's to name
	}
	wnt := expect(rt, c, tg, s)
	tl.requests++
	tl.wants[wnt]++
	a := w.send(rt.door, c, tg.method, tg.path, rt.rule.public, apiBodies[rt.pattern])
	if msg := check(rt.door, wnt, a); msg != "" {
		t.Errorf("%s as %s, %s object (%s %s): %d %s; %s\n%.300s", rt.pattern, c.name, s, tg.method, tg.path,
			a.status, a.location, msg, a.body)
	}
	if c.user.Role != roles.ProviderAdmin && strings.Contains(a.body, leakMark) {
		t.Errorf("%s as %s (%s %s) shows tenant B's data:\n%.600s", rt.pattern, c.name, tg.method, tg.path, a.body)
	}
	return true
}
