// Package ui is the server-rendered portal: sign-in, 2-step verification,
// terms, password reset and the main layout with its sections.
package ui

import (
	"html/template"
	"log/slog"
	"net/http"

	"callrec/internal/account"
	"callrec/internal/auth"
	"callrec/internal/events"
	"callrec/internal/integration"
	"callrec/internal/recorder"
	"callrec/internal/recordings"
	"callrec/internal/store"
)

// Handler serves the portal.
type Handler struct {
	Accounts      *account.Service
	Auth          *auth.Service
	DB            *store.DB
	Log           *slog.Logger
	SecureCookies bool
	Integrations  *integration.Service  // nil when no Microsoft app is configured
	Recordings    *recorder.Library     // call audio (its blob store deletes audio); nil without a recorder
	Events        events.Bus            // live call updates; nil without them
	PauseControl  recordings.Controller // acts on live calls when recording pauses

	// pages are parsed once by Register, one template set per page.
	pages map[string]*template.Template
}

// Register lists every portal route.
func (h *Handler) Register(mux *http.ServeMux) {
	h.pages = mustParsePages()
	if h.Log == nil {
		h.Log = slog.Default()
	}
	okOnly := []string{auth.StageOK}
	anyStage := []string{auth.StageMFA, auth.StageEnroll, auth.StageTerms, auth.StageOK}
	setupOrOK := []string{auth.StageEnroll, auth.StageOK}

	mux.Handle("GET /static/", staticFiles())

	mux.HandleFunc("GET /login", h.public(h.loginForm))
	mux.HandleFunc("POST /login", h.public(h.login))
	mux.HandleFunc("GET /forgot-password", h.public(h.forgotForm))
	mux.HandleFunc("POST /forgot-password", h.public(h.forgot))
	mux.HandleFunc("GET /reset-password", h.public(h.resetForm))
	mux.HandleFunc("POST /reset-password", h.public(h.reset))

	mux.HandleFunc("POST /logout", h.signedIn(anyStage, h.logout))
	mux.HandleFunc("GET /two-factor", h.signedIn([]string{auth.StageMFA}, h.codeForm))
	mux.HandleFunc("POST /two-factor", h.signedIn([]string{auth.StageMFA}, h.verifyCode))
	mux.HandleFunc("GET /two-factor/setup", h.signedIn(setupOrOK, h.setupIntro))
	mux.HandleFunc("POST /two-factor/setup", h.signedIn(setupOrOK, h.setupBegin))
	mux.HandleFunc("POST /two-factor/confirm", h.signedIn(setupOrOK, h.setupConfirm))
	mux.HandleFunc("GET /terms", h.signedIn([]string{auth.StageTerms, auth.StageOK}, h.termsPage))
	mux.HandleFunc("POST /terms", h.signedIn([]string{auth.StageTerms}, h.acceptTerms))

	mux.HandleFunc("GET /{$}", h.signedIn(okOnly, h.home))
	mux.HandleFunc("POST /tenant", h.signedIn(okOnly, h.switchTenant))
	mux.HandleFunc("POST /alerts/{id}/dismiss", h.signedIn(okOnly, h.dismissAlert))
	mux.HandleFunc("GET /admin/roles", h.signedIn(okOnly, h.rolesPage))
	h.registerAdmin(mux, okOnly)
	h.registerIntegrations(mux, okOnly)
	h.registerRecordings(mux, okOnly)
	mux.HandleFunc("GET /account/security", h.signedIn(okOnly, h.securityPage))
	mux.HandleFunc("POST /account/security/recovery-codes", h.signedIn(okOnly, h.regenerateCodes))
	mux.HandleFunc("GET /account/tokens", h.signedIn(okOnly, h.tokensPage))
	mux.HandleFunc("POST /account/tokens", h.signedIn(okOnly, h.createToken))
	mux.HandleFunc("POST /account/tokens/{id}/revoke", h.signedIn(okOnly, h.revokeToken))

	mux.HandleFunc("/", h.notFound)
}
