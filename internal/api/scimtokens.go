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

// licenseHolderChange is one entry of the provider's changes feed.
type licenseHolderChange struct {
	TenantID        string    `json:"tenant_id"`
	UserID          string    `json:"user_id"`
	Login           string    `json:"login"`
	ChangedAt       time.Time `json:"changed_at"`
	Deleted         bool      `json:"deleted"`
	Name            string    `json:"name,omitempty"`
	Email           string    `json:"email,omitempty"`
	Active          bool      `json:"active"`
	Licenses        []string  `json:"licenses"`
	WebPortalAccess bool      `json:"web_portal_access"`
	AuthType        string    `json:"auth_type,omitempty"`
}

// listLicenseHolderChanges is the provider's daily feed over every tenant:
// users created, changed (licenses, portal access, state) or deleted after
// the cursor. A user without licenses is no (longer a) license holder.
func (h *Handler) listLicenseHolderChanges(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	limit, err := limitParam(r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	cs, next, err := h.Accounts.LicenseHolderChanges(r.Context(), p, r.URL.Query().Get("since"), limit)
	if err != nil {
		return err
	}
	items := make([]licenseHolderChange, 0, len(cs))
	for _, c := range cs {
		e := licenseHolderChange{TenantID: c.TenantID, UserID: c.ID, Login: c.Login, ChangedAt: c.At, Deleted: c.Deleted, Licenses: []string{}}
		if !c.Deleted {
			u := c.User
			e.Name, e.Email, e.Active, e.WebPortalAccess, e.AuthType = u.Name, u.Email, u.Active, u.PortalAccess, u.AuthType
			if u.Licenses != nil {
				e.Licenses = u.Licenses
			}
		}
		items = append(items, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
	return nil
}
