package api

import (
	"net/http"
	"time"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/sso"
	"callrec/internal/store"
)

// registerSSO lists the provider admin's SAML identity provider routes
// (the portal's Single sign-on page does the same through sso.Service).
func (h *Handler) registerSSO(mux *http.ServeMux) {
	if h.SSO == nil {
		return
	}
	provider := access{perm: roles.TenantsManage}
	h.route(mux, "GET /api/v1/provider/saml-idps", provider, h.listIdPs)
	h.route(mux, "POST /api/v1/provider/saml-idps", provider, h.createIdP)
	h.route(mux, "GET /api/v1/provider/saml-idps/{id}", provider, h.getIdP)
	h.route(mux, "PATCH /api/v1/provider/saml-idps/{id}", provider, h.updateIdP)
	h.route(mux, "DELETE /api/v1/provider/saml-idps/{id}", provider, h.deleteIdP)
}

type idpOut struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenant_id"`
	Name           string    `json:"name"`
	EntityID       string    `json:"entity_id"`
	MetadataURL    string    `json:"metadata_url"`
	SSOURL         string    `json:"sso_url"`
	SLOURL         string    `json:"slo_url"`
	Cert1          string    `json:"cert1"`
	Cert2          string    `json:"cert2"`
	MatchAttribute string    `json:"match_attribute"`
	EnforcesMFA    bool      `json:"enforces_mfa"`
	Enabled        bool      `json:"enabled"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func idpJSON(x store.SAMLIdP) idpOut {
	return idpOut{ID: x.ID, TenantID: x.TenantID, Name: x.Name, EntityID: x.EntityID, MetadataURL: x.MetadataURL, SSOURL: x.SSOURL,
		SLOURL: x.SLOURL, Cert1: x.Cert1, Cert2: x.Cert2, MatchAttribute: x.MatchAttr, EnforcesMFA: x.EnforcesMFA, Enabled: x.Enabled,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

func (h *Handler) listIdPs(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	xs, err := h.SSO.ListIdPs(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(xs, "", idpJSON))
	return nil
}

func (h *Handler) createIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in sso.IdPInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	x, err := h.SSO.CreateIdP(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idpJSON(x))
	return nil
}

func (h *Handler) getIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	x, err := h.SSO.GetIdP(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, idpJSON(x))
	return nil
}

func (h *Handler) updateIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in sso.IdPInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	x, err := h.SSO.UpdateIdP(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, idpJSON(x))
	return nil
}

func (h *Handler) deleteIdP(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.SSO.DeleteIdP(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
