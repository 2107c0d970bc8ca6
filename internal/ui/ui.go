// Package ui is the server-rendered portal: sign-in, 2-step verification,
// terms, password reset and the main layout with its sections.
//
// Handlers hold services, never the store: each page passes the signed-in
// caller to a service method, which decides scope, permission and audit.
package ui

import (
	"html/template"
	"log/slog"
	"net/http"

	"callrec/internal/account"
	"callrec/internal/analytics"
	"callrec/internal/auth"
	"callrec/internal/brand"
	"callrec/internal/evaluations"
	"callrec/internal/integration"
	"callrec/internal/recordings"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/transcripts"
)

// Handler serves the portal.
type Handler struct {
	Accounts      *account.Service
	Auth          *auth.Service
	Calls         *recordings.Service  // the Recordings workspace and the dashboard
	Evaluations   *evaluations.Service // QA forms, evaluations and reports
	Log           *slog.Logger
	SecureCookies bool
	Integrations  *integration.Service // nil when no Microsoft app is configured
	Brand         *brand.Service       // the provider's white label (nil: the built-in brand)
	SSO           *sso.Service         // SAML single sign-on (nil: not offered)
	Transcripts   *transcripts.Service // speech analytics (nil: no transcript on the call page)
	Analytics     *analytics.Service   // topics, sentiment, redaction (nil: none)

	// pages are parsed once by Register, one template set per page.
	pages  map[string]*template.Template
	routes []Route // as registered, with their rules
}

// Register lists every portal route with the rule that opens it; the
// Administration pages are listed in registerAdmin.
func (h *Handler) Register(mux *http.ServeMux) {
	h.pages = mustParsePages()
	if h.Log == nil {
		h.Log = slog.Default()
	}
	me := access{signedIn: true}
	anyStage := access{signedIn: true, stages: []string{auth.StageMFA, auth.StageEnroll, auth.StageTerms, auth.StageOK}}
	mfa := access{signedIn: true, stages: []string{auth.StageMFA}}
	setup := access{signedIn: true, stages: []string{auth.StageEnroll, auth.StageOK}}
	calls := access{rule: viewCalls, tenant: true}
	call := func(perm roles.Permission) access { return access{perm: perm, tenant: true} }

	h.publicHandler(mux, "GET /static/", staticFiles())
	h.publicHandler(mux, "GET /brand/logo", http.HandlerFunc(h.serveLogo))
	h.publicHandler(mux, "GET /brand/theme.css", http.HandlerFunc(h.serveTheme))
	h.publicRoute(mux, "GET /login", h.loginForm)
	h.publicRoute(mux, "POST /login", h.login)
	h.publicRoute(mux, "GET /forgot-password", h.forgotForm)
	h.publicRoute(mux, "POST /forgot-password", h.forgot)
	h.publicRoute(mux, "GET /reset-password", h.resetForm)
	h.publicRoute(mux, "POST /reset-password", h.reset)

	h.route(mux, "POST /logout", anyStage, h.logout)
	h.route(mux, "GET /two-factor", mfa, h.codeForm)
	h.route(mux, "POST /two-factor", mfa, h.verifyCode)
	h.route(mux, "GET /two-factor/setup", setup, h.setupIntro)
	h.route(mux, "POST /two-factor/setup", setup, h.setupBegin)
	h.route(mux, "POST /two-factor/confirm", setup, h.setupConfirm)
	h.route(mux, "GET /terms", access{signedIn: true, stages: []string{auth.StageTerms, auth.StageOK}}, h.termsPage)
	h.route(mux, "POST /terms", access{signedIn: true, stages: []string{auth.StageTerms}}, h.acceptTerms)

	h.route(mux, "GET /{$}", me, h.home)
	h.route(mux, "POST /tenant", access{perm: roles.TenantsManage}, h.switchTenant)
	h.route(mux, "POST /alerts/{id}/dismiss", access{perm: roles.UsersManage, tenant: true}, h.dismissAlert)
	h.route(mux, "GET /account/security", me, h.securityPage)
	h.route(mux, "POST /account/security/recovery-codes", me, h.regenerateCodes)
	h.route(mux, "GET /account/tokens", access{perm: roles.APIAccess}, h.tokensPage)
	h.route(mux, "POST /account/tokens", access{perm: roles.APIAccess}, h.createToken)
	h.route(mux, "POST /account/tokens/{id}/revoke", access{perm: roles.APIAccess}, h.revokeToken)

	h.route(mux, "GET /recordings", calls, h.recordingsPage)
	h.route(mux, "GET /recordings/export", calls, h.recordingsExport)
	h.route(mux, "GET /recordings/{id}", calls, h.recordingPage)
	h.route(mux, "POST /recordings/{id}/notes", call(roles.RecordingsAnnotate), h.addNote)
	h.route(mux, "POST /recordings/{id}/notes/{note_id}/delete", call(roles.RecordingsAnnotate), h.deleteNote)
	h.route(mux, "POST /recordings/{id}/confidential", call(roles.RecordingsConfid), h.setConfidential)
	h.route(mux, "POST /recordings/{id}/transcript", call(roles.RecordingsAnnotate), h.rerunTranscript)
	h.route(mux, "POST /recordings/{id}/delete", call(roles.RecordingsDelete), h.deleteRecording)
	h.route(mux, "POST /recordings/{id}/pause", call(roles.PauseResume), h.pauseRecording)
	h.route(mux, "POST /recordings/{id}/resume", call(roles.PauseResume), h.pauseRecording)
	h.route(mux, "GET /dashboard", call(roles.Reports), h.dashboardPage)

	h.registerQA(mux)
	h.registerAdmin(mux)
	h.registerSSO(mux)
	h.publicHandler(mux, "/", http.HandlerFunc(h.notFound)) // every other address: the not-found page
}
