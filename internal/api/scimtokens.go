package api

import (
	"net/http"
	"time"

	"callrec/internal/principal"
	"callrec/internal/store"
)

// SCIM tokens let the provider's own portal provision a tenant's users over
// SCIM 2.0 (/scim/v2). Only provider admins issue and revoke them.

type scimTokenOut struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	Name       string     `json:"name"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func scimTokenJSON(t store.SCIMToken) scimTokenOut {
	return scimTokenOut{ID: t.ID, TenantID: t.TenantID, Name: t.Name, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

func (h *Handler) listSCIMTokens(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ts, err := h.Accounts.SCIMTokens(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(ts, "", scimTokenJSON))
	return nil
}

type scimTokenAnswer struct {
	scimTokenOut
	Token string `json:"token"`
}

func (h *Handler) createSCIMToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var b struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &b); err != nil {
		return err
	}
	raw, t, err := h.Accounts.CreateSCIMToken(r.Context(), p, r.PathValue("id"), b.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, scimTokenAnswer{scimTokenOut: scimTokenJSON(t), Token: raw})
	return nil
}

func (h *Handler) deleteSCIMToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if err := h.Accounts.RevokeSCIMToken(r.Context(), p, r.PathValue("id"), r.PathValue("token_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
