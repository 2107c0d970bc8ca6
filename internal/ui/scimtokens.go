package ui

import (
	"errors"
	"net/http"
	"strings"

	"callrec/internal/principal"
	"callrec/internal/store"
	"callrec/internal/validate"
)

// scimTokensView is a tenant's SCIM provisioning tokens; Created holds a
// new raw token, shown this once.
type scimTokensView struct {
	Tenant  store.Tenant
	Tokens  []store.SCIMToken
	Created string
	Name    string
	SCIMURL string
}

func (h *Handler) scimTokensPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	return h.showSCIMTokens(w, r, p, http.StatusOK, scimTokensView{}, "")
}

func (h *Handler) showSCIMTokens(w http.ResponseWriter, r *http.Request, p *principal.Principal, status int, v scimTokensView, msg string) error {
	t, err := h.Accounts.Tenant(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return serviceErr(err)
	}
	ts, err := h.Accounts.SCIMTokens(r.Context(), p, t.ID)
	if err != nil {
		return serviceErr(err)
	}
	v.Tenant, v.Tokens = t, ts
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v.SCIMURL = scheme + "://" + r.Host + "/scim/v2"
	h.adminView(w, r, status, "scimtokens", "SCIM provisioning – "+t.Name, "tenants", v, msg)
	return nil
}

func (h *Handler) createSCIMToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	raw, _, err := h.Accounts.CreateSCIMToken(r.Context(), p, r.PathValue("id"), name)
	if _, bad := errors.AsType[validate.Errors](err); bad {
		return h.showSCIMTokens(w, r, p, http.StatusBadRequest, scimTokensView{Name: name}, "Give the token a name of at most 100 characters, such as the system that will use it.")
	}
	if err != nil {
		return serviceErr(err)
	}
	return h.showSCIMTokens(w, r, p, http.StatusCreated, scimTokensView{Created: raw}, "")
}

func (h *Handler) revokeSCIMToken(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	if err := h.Accounts.RevokeSCIMToken(r.Context(), p, id, r.PathValue("token_id")); err != nil {
		return serviceErr(err)
	}
	h.redirectFlash(w, r, "/admin/tenants/"+id+"/scim-tokens", "token_revoked")
	return nil
}
