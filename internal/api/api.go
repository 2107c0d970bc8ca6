// Package api is the JSON REST API under /api/v1. Every route is listed in
// Register with the permission it needs; handlers return errors and one
// function writes them.
package api

import (
	"log/slog"
	"net/http"

	"callrec/internal/account"
	"callrec/internal/analytics"
	"callrec/internal/auth"
	"callrec/internal/brand"
	"callrec/internal/evaluations"
	"callrec/internal/events"
	"callrec/internal/integration"
	"callrec/internal/principal"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/recovery"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/transcripts"
)

// Handler serves the API.
type Handler struct {
	Accounts      *account.Service
	Auth          *auth.Service
	Calls         *recordings.Service  // calls, recordings and the dashboard; web builds it
	Evaluations   *evaluations.Service // QA forms, evaluations and their reports
	Log           *slog.Logger
	SecureCookies bool
	Integrations  *integration.Service
	Brand         *brand.Service    // the provider's white label
	Recordings    *recorder.Library // call audio; nil when no recorder is configured
	Events        events.Bus        // live updates for /api/v1/events
	// Live connects live-monitoring listeners to the recorder holding a call.
	Live *recorder.Live
	// Guard recovers a panic in a WebSocket once it is upgraded, where an
	// HTTP error can no longer be written (nil: recovered and logged only).
	Guard *recovery.Guard
	// SSO manages SAML identity providers (nil: the routes are absent).
	SSO *sso.Service
	// Transcripts is speech analytics (nil: the routes are absent).
	Transcripts *transcripts.Service
	// Analytics is topics, sentiment, redaction and summaries (nil: the
	// routes are absent).
	Analytics *analytics.Service

	routes []Route // as registered
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal.Principal) error

// access says who may call a route.
type access struct {
	perm   roles.Permission // "" and no rule = any signed-in caller
	rule   roles.Rule       // or any of several permissions
	tenant bool             // needs an acting tenant
	stages []string         // session stages allowed besides StageOK
}

// Register lists every API route.
func (h *Handler) Register(mux *http.ServeMux) {
	signedIn := access{}
	users := access{perm: roles.UsersManage, tenant: true}
	mid := []string{auth.StageMFA, auth.StageEnroll, auth.StageTerms}

	h.publicRoute(mux, "POST /api/v1/session", h.signIn)
	h.publicRoute(mux, "POST /api/v1/password-reset", h.requestReset)
	h.publicRoute(mux, "POST /api/v1/password-reset/confirm", h.confirmReset)
	h.route(mux, "DELETE /api/v1/session", access{stages: mid}, h.signOut)
	h.route(mux, "GET /api/v1/me", access{stages: mid}, h.me)
	h.route(mux, "POST /api/v1/me/two-factor/verify", access{stages: []string{auth.StageMFA}}, h.verifySecondFactor)
	h.route(mux, "POST /api/v1/me/two-factor", access{stages: []string{auth.StageEnroll}}, h.beginEnrollment)
	h.route(mux, "POST /api/v1/me/two-factor/confirm", access{stages: []string{auth.StageEnroll}}, h.confirmEnrollment)
	h.route(mux, "POST /api/v1/me/recovery-codes", signedIn, h.regenerateRecoveryCodes)
	h.route(mux, "POST /api/v1/me/terms", access{stages: []string{auth.StageTerms}}, h.acceptTerms)
	h.route(mux, "PUT /api/v1/me/tenant", access{perm: roles.TenantsManage}, h.switchTenant)

	h.route(mux, "GET /api/v1/tenants", access{perm: roles.TenantsManage}, h.listTenants)
	h.route(mux, "POST /api/v1/tenants", access{perm: roles.TenantsManage}, h.createTenant)
	h.route(mux, "GET /api/v1/tenants/{id}", access{perm: roles.SettingsManage}, h.getTenant)
	h.route(mux, "PATCH /api/v1/tenants/{id}", access{perm: roles.SettingsManage}, h.updateTenant)

	h.route(mux, "GET /api/v1/users", users, h.listUsers)
	h.route(mux, "POST /api/v1/users", users, h.createUser)
	h.route(mux, "GET /api/v1/users/{id}", users, h.getUser)
	h.route(mux, "PATCH /api/v1/users/{id}", users, h.updateUser)
	h.route(mux, "DELETE /api/v1/users/{id}", users, h.deleteUser)
	h.route(mux, "POST /api/v1/users/{id}/reset-two-factor", users, h.resetTwoFactor)
	h.route(mux, "POST /api/v1/users/bulk", users, h.bulkUpdate)
	h.route(mux, "GET /api/v1/users/export", users, h.exportUsers)
	h.route(mux, "POST /api/v1/users/import", users, h.importUsers)

	h.route(mux, "GET /api/v1/groups", users, h.listGroups)
	h.route(mux, "POST /api/v1/groups", users, h.createGroup)
	h.route(mux, "GET /api/v1/groups/{id}", users, h.getGroup)
	h.route(mux, "PATCH /api/v1/groups/{id}", users, h.updateGroup)
	h.route(mux, "DELETE /api/v1/groups/{id}", users, h.deleteGroup)
	h.route(mux, "GET /api/v1/groups/{id}/members", users, h.listMembers)
	h.route(mux, "PUT /api/v1/groups/{id}/members/{user_id}", users, h.addMember)
	h.route(mux, "DELETE /api/v1/groups/{id}/members/{user_id}", users, h.removeMember)

	h.route(mux, "GET /api/v1/roles", signedIn, h.listRoles)
	h.route(mux, "GET /api/v1/licenses", users, h.listLicenses)
	h.route(mux, "GET /api/v1/tokens", access{perm: roles.APIAccess}, h.listTokens)
	h.route(mux, "POST /api/v1/tokens", access{perm: roles.APIAccess}, h.createToken)
	h.route(mux, "DELETE /api/v1/tokens/{id}", access{perm: roles.APIAccess}, h.deleteToken)
	h.route(mux, "GET /api/v1/audit", access{perm: roles.AuditView, tenant: true}, h.listAudit)
	h.route(mux, "GET /api/v1/audit/export", access{perm: roles.AuditView, tenant: true}, h.exportAudit)

	h.registerIntegrations(mux)
	h.route(mux, "GET /api/v1/alerts", users, h.listAlerts)
	h.route(mux, "POST /api/v1/alerts/{id}/resolve", users, h.resolveAlert)

	h.registerRecordings(mux)
	h.registerSSO(mux)
	h.registerProvider(mux)
	h.registerBranding(mux)
	h.registerWorkspace(mux)
	h.registerLive(mux)
	h.registerTranscripts(mux)
	h.registerAnalytics(mux)
	h.registerEvaluations(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, h.Log, errNotFound)
	})
}

// Route is one registered API route and who may call it.
type Route struct {
	Pattern    string           // "METHOD /path"
	Public     bool             // no caller needed (sign-in, reset, OAuth callback)
	Permission roles.Permission // "" and no Rule = any signed-in caller
	Rule       roles.Rule       // or a named rule over several permissions
	Tenant     bool             // needs an acting tenant
	Stages     []string         // session stages allowed besides StageOK
}

// Routes lists every route Register registered, with its rule: the
// permission walk and the OpenAPI drift tests read it.
func (h *Handler) Routes() []Route { return h.routes }

// publicRoute registers a route anyone may call.
func (h *Handler) publicRoute(mux *http.ServeMux, pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
	h.routes = append(h.routes, Route{Pattern: pattern, Public: true})
	mux.HandleFunc(pattern, h.public(fn))
}

// route wraps a handler with the caller, stage, permission, tenant and CSRF checks.
func (h *Handler) route(mux *http.ServeMux, pattern string, a access, fn handlerFunc) {
	h.routes = append(h.routes, Route{Pattern: pattern, Permission: a.perm, Rule: a.rule, Tenant: a.tenant, Stages: a.stages})
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := principal.From(r.Context())
		if err := h.check(r, p, a); err != nil {
			writeError(w, r, h.Log, err)
			return
		}
		if err := fn(w, r, p); err != nil {
			writeError(w, r, h.Log, err)
		}
	})
}

func (h *Handler) check(r *http.Request, p *principal.Principal, a access) error {
	if p == nil {
		return errUnauthorized
	}
	if !principal.CSRFOK(r, p) {
		return errCSRF
	}
	if !p.FullyAuthenticated() && !contains(a.stages, p.Session.Stage) {
		return errStage
	}
	if p.Token != nil && !p.Can(roles.APIAccess) {
		return errForbidden
	}
	if a.perm != "" && !p.Can(a.perm) || a.rule.Name != "" && !a.rule.Allows(p.Can) {
		return errForbidden
	}
	if a.tenant && p.TenantID == "" {
		return validationFailed(map[string]string{"X-Tenant-ID": "a provider admin must pick a tenant with the X-Tenant-ID header or the tenant switcher"})
	}
	return nil
}

func (h *Handler) public(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(w, r, h.Log, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
