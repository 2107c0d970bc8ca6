package ui

import (
	"fmt"
	"net/http"
	"slices"

	"callrec/internal/auth"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// Route is one registered portal route and who may open it. Every route
// declares exactly one of Public, SignedIn, Permission or Rule where it is
// registered; the route's wrapper enforces it before the page runs, and
// the permission walk in internal/web reads this table to check every
// answer. Per-object checks (a call out of scope, another tenant's user)
// stay in the services, which answer "not found".
type Route struct {
	Pattern    string           // "METHOD /path"
	Public     bool             // no caller needed: sign-in, password reset, static files
	SignedIn   bool             // any signed-in caller: their own account, the home page
	Permission roles.Permission // the one permission the route needs
	Rule       Rule             // or a named rule over several permissions
	Tenant     bool             // works inside one tenant: a provider admin picks it first
	Stages     []string         // session stages allowed; fully signed-in only unless stated
}

// Rule is a named choice among permissions (roles.Rule).
type Rule = roles.Rule

// viewCalls opens the Recordings pages (roles.ViewCalls).
var viewCalls = roles.ViewCalls

// allows reports whether the route's declared rule lets p in (stages and
// tenant aside).
func (rt Route) allows(p *principal.Principal) bool {
	switch {
	case rt.Public, rt.SignedIn:
		return true
	case rt.Permission != "":
		return p.Can(rt.Permission)
	case rt.Rule.Name != "":
		return rt.Rule.Allows(p.Can)
	}
	return false
}

// declared counts the rules a route states; exactly one is right.
func (rt Route) declared() int {
	n := 0
	for _, set := range []bool{rt.Public, rt.SignedIn, rt.Permission != "", rt.Rule.Name != ""} {
		if set {
			n++
		}
	}
	return n
}

// Routes lists every route Register registered, with its rule.
func (h *Handler) Routes() []Route { return slices.Clone(h.routes) }

// access is what a registration states about who may open a route.
type access struct {
	signedIn bool             // any signed-in caller
	perm     roles.Permission // or this permission
	rule     Rule             // or this rule
	tenant   bool             // inside the acting tenant
	stages   []string         // default: auth.StageOK
	limit    int64            // body limit of posts; default maxFormBytes
}

// route registers a page behind its declared rule. A registration that
// states no rule, or more than one, is a programming error and stops the
// process at start-up (and every test).
func (h *Handler) route(mux *http.ServeMux, pattern string, a access, fn pageFunc) {
	rt := Route{Pattern: pattern, SignedIn: a.signedIn, Permission: a.perm, Rule: a.rule, Tenant: a.tenant, Stages: a.stages}
	if rt.Stages == nil {
		rt.Stages = []string{auth.StageOK}
	}
	if rt.declared() != 1 {
		panic(fmt.Sprintf("ui: route %q must declare exactly one rule (signed-in, a permission or a named rule)", pattern))
	}
	if a.limit == 0 {
		a.limit = maxFormBytes
	}
	h.routes = append(h.routes, rt)
	mux.HandleFunc(pattern, h.guard(rt, a.limit, fn))
}

// publicRoute registers a page anyone may open.
func (h *Handler) publicRoute(mux *http.ServeMux, pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
	h.publicHandler(mux, pattern, h.public(fn))
}

// publicHandler registers a handler anyone may use (static files).
func (h *Handler) publicHandler(mux *http.ServeMux, pattern string, next http.Handler) {
	h.routes = append(h.routes, Route{Pattern: pattern, Public: true})
	mux.Handle(pattern, next)
}

// guard enforces a route's rule before its page runs: a visitor without
// a session goes to the sign-in page, a session in another stage to the
// page of its stage, a caller without the permission gets the forbidden
// page and a provider admin outside a tenant the tenant picker. Posts are
// bounded and CSRF-checked.
func (h *Handler) guard(rt Route, limit int64, fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principal.From(r.Context())
		if p == nil || p.Session == nil {
			next := ""
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
			return
		}
		if !slices.Contains(rt.Stages, p.Session.Stage) {
			http.Redirect(w, r, stagePath(p.Session.Stage), http.StatusSeeOther)
			return
		}
		if err := h.admit(w, r, rt, limit, p); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	}
}

// admit checks the rule, the tenant and, for posts, the form and its CSRF token.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, rt Route, limit int64, p *principal.Principal) error {
	if !rt.allows(p) {
		return errForbidden
	}
	if rt.Tenant && p.TenantID == "" {
		return errPickTenant
	}
	if r.Method != http.MethodPost {
		return nil
	}
	if err := parseForm(w, r, limit); err != nil {
		return err
	}
	if !principal.CSRFOK(r, p) {
		return errCSRF
	}
	return nil
}
