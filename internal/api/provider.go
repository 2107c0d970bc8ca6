package api

import (
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/roles"
)

// registerProvider lists the provider admin's views across tenants: every
// tenant's SIPREC sources with their overlaps, and the provider's alerts.
// Tenant-scoped resources stay under their own paths and never answer
// about another tenant.
func (h *Handler) registerProvider(mux *http.ServeMux) {
	provider := access{perm: roles.TenantsManage}
	h.route(mux, "GET /api/v1/provider/sip-sources", provider, h.listProviderSIPSources)
	h.route(mux, "GET /api/v1/provider/alerts", provider, h.listProviderAlerts)
	h.route(mux, "POST /api/v1/provider/alerts/{id}/resolve", provider, h.resolveProviderAlert)
	h.route(mux, "GET /api/v1/provider/license-holders/changes", provider, h.listLicenseHolderChanges)
	h.route(mux, "GET /api/v1/tenants/{id}/scim-tokens", provider, h.listSCIMTokens)
	h.route(mux, "POST /api/v1/tenants/{id}/scim-tokens", provider, h.createSCIMToken)
	h.route(mux, "DELETE /api/v1/tenants/{id}/scim-tokens/{token_id}", provider, h.deleteSCIMToken)
}

func (h *Handler) listProviderSIPSources(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	s, err := h.Accounts.ProviderSources(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s, "next_cursor": ""})
	return nil
}

func (h *Handler) listProviderAlerts(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	as, err := h.Accounts.ProviderAlerts(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(as, "", providerAlertJSON))
	return nil
}

func (h *Handler) resolveProviderAlert(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.ResolveProviderAlert(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
