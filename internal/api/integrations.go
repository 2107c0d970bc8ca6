package api

import (
	"errors"
	"net/http"
	"net/url"

	"callrec/internal/integration"
	"callrec/internal/principal"
	"callrec/internal/roles"
)

// CallbackPath is where Microsoft sends the admin back after sign-in and
// consent; it must be registered as the app's redirect URI.
const CallbackPath = "/integrations/teams/callback"

// IntegrationPagePath is the portal page the callback returns to.
const IntegrationPagePath = "/admin/integrations/teams"

func (h *Handler) registerIntegrations(mux *http.ServeMux) {
	if h.Integrations == nil {
		return
	}
	teams := access{perm: roles.IntegrationsManage, tenant: true}
	h.route(mux, "GET /api/v1/integrations", teams, h.listIntegrations)
	h.route(mux, "GET /api/v1/integrations/teams", teams, h.getTeams)
	h.route(mux, "POST /api/v1/integrations/teams", teams, h.createTeams)
	h.route(mux, "DELETE /api/v1/integrations/teams", teams, h.deleteTeams)
	h.route(mux, "PUT /api/v1/integrations/teams/mode", teams, h.setTeamsMode)
	h.route(mux, "POST /api/v1/integrations/teams/signin", teams, h.teamsSignIn)
	h.route(mux, "POST /api/v1/integrations/teams/consent", teams, h.teamsConsent)
	h.route(mux, "GET /api/v1/integrations/teams/config/defaults", teams, h.teamsDefaults)
	h.route(mux, "PUT /api/v1/integrations/teams/config", teams, h.configureTeams)
	h.route(mux, "POST /api/v1/integrations/teams/apply", teams, h.applyTeams)
	h.route(mux, "POST /api/v1/integrations/teams/retry", teams, h.retryTeams)
	h.route(mux, "POST /api/v1/integrations/teams/disconnect", teams, h.disconnectTeams)
	h.route(mux, "GET /api/v1/integrations/teams/powershell/{kind}", teams, h.teamsScript)
	h.route(mux, "POST /api/v1/integrations/teams/verify", teams, h.verifyTeams)
	h.routes = append(h.routes, Route{Pattern: "GET " + CallbackPath, Public: true}) // the session is checked inside: Microsoft redirects here
	mux.HandleFunc("GET "+CallbackPath, h.teamsCallback)
}

var errIntegrationState = &Error{http.StatusConflict, "conflict", "not possible in the integration's current state", nil, 0}

// integrationError maps the integration package's errors.
func integrationError(err error) error {
	switch {
	case errors.Is(err, integration.ErrNotFound):
		return &Error{http.StatusNotFound, "not_found", "this tenant has no Microsoft Teams integration yet", nil, 0}
	case errors.Is(err, integration.ErrExists):
		return &Error{http.StatusConflict, "conflict", "this tenant already has a Microsoft Teams integration: open it, or disconnect it before adding another", nil, 0}
	case errors.Is(err, integration.ErrWrongState):
		e := *errIntegrationState
		e.Message = err.Error()
		return &e
	case errors.Is(err, integration.ErrBadState):
		return &Error{http.StatusBadRequest, "invalid_state", err.Error(), nil, 0}
	}
	return err
}

func (h *Handler) listIntegrations(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	vs, err := h.Integrations.List(r.Context(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": vs, "next_cursor": ""})
	return nil
}

func (h *Handler) getTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Integrations.Get(r.Context(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

type modeBody struct {
	Mode string `json:"mode"`
}

func (h *Handler) createTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b modeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	v, err := h.Integrations.Create(r.Context(), p.Actor(), p.TenantID, b.Mode)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (h *Handler) deleteTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Integrations.Delete(r.Context(), p.Actor(), p.TenantID); err != nil {
		return integrationError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) setTeamsMode(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b modeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	v, err := h.Integrations.SetMode(r.Context(), p.Actor(), p.TenantID, b.Mode)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) teamsSignIn(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.Integrations.StartSignIn(r.Context(), p.Actor(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect_url": u})
	return nil
}

func (h *Handler) teamsConsent(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	u, err := h.Integrations.StartConsent(r.Context(), p.Actor(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect_url": u})
	return nil
}

func (h *Handler) teamsDefaults(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"config": integration.DefaultConfigFor(h.Brand.Current(r.Context())), "disconnect": integration.DefaultDisconnect(),
		"notification_statement": integration.NotificationStatement, "flags_warning": integration.FlagsWarning})
	return nil
}

func (h *Handler) configureTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var cfg integration.Config
	if err := decode(w, r, &cfg); err != nil {
		return err
	}
	v, err := h.Integrations.Configure(r.Context(), p.Actor(), p.TenantID, cfg)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *Handler) applyTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Integrations.Apply(r.Context(), p.Actor(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (h *Handler) retryTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, err := h.Integrations.Retry(r.Context(), p.Actor(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (h *Handler) disconnectTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	o := integration.DefaultDisconnect()
	if err := decode(w, r, &o); err != nil {
		return err
	}
	u, err := h.Integrations.Disconnect(r.Context(), p.Actor(), p.TenantID, o)
	if err != nil {
		return integrationError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect_url": u})
	return nil
}

func (h *Handler) teamsScript(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	kind := r.PathValue("kind")
	script, err := h.Integrations.Script(r.Context(), p.TenantID, kind)
	if err != nil {
		return integrationError(err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="callrec-teams-`+kind+`.ps1"`)
	}
	_, _ = w.Write([]byte(script))
	return nil
}

func (h *Handler) verifyTeams(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	v, missing, err := h.Integrations.Verify(r.Context(), p.Actor(), p.TenantID)
	if err != nil {
		return integrationError(err)
	}
	if missing == nil {
		missing = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"integration": v, "missing": missing})
	return nil
}

// teamsCallback is where Microsoft returns the browser. It needs the callrec
// session that started the step (binding the answer to it defeats OAuth
// login CSRF); without one the admin signs in first and comes back.
func (h *Handler) teamsCallback(w http.ResponseWriter, r *http.Request) {
	p := principal.From(r.Context())
	if p == nil || !p.FullyAuthenticated() {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if !p.Can(roles.IntegrationsManage) || p.TenantID == "" {
		writeError(w, r, h.Log, errForbidden)
		return
	}
	out, err := h.Integrations.HandleCallback(r.Context(), p.Actor(), p.TenantID, r.URL.Query())
	if err != nil {
		writeError(w, r, h.Log, integrationError(err))
		return
	}
	target := IntegrationPagePath + "?returned=1"
	if out.OK && out.View.JobKind == integration.JobDisconnect {
		target += "&job=1" // the page follows the removal to its end, even one already over
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
