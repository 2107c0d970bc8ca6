package api

import (
	"net/http"

	"callrec/internal/account"
	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

func (h *Handler) tenantWithPools(r *http.Request, p *principal.Principal, t store.Tenant) (tenantOut, error) {
	pools, err := h.Accounts.Pools(r.Context(), p, t.ID)
	return tenantJSON(t, pools), err
}

func (h *Handler) listTenants(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ts, err := h.Accounts.Tenants(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]tenantOut, 0, len(ts))
	for _, t := range ts {
		a, err := h.tenantWithPools(r, p, t)
		if err != nil {
			return err
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, page[tenantOut]{Items: out})
	return nil
}

func (h *Handler) createTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	var in account.TenantInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := h.Accounts.CreateTenant(r.Context(), p.Actor(), in)
	if err != nil {
		return err
	}
	a, err := h.tenantWithPools(r, p, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// tenantVisible lets the provider see any tenant and a tenant admin only
// their own; anything else is "not found", never "forbidden".
func tenantVisible(p *principal.Principal, id string) bool {
	return p.Can(roles.TenantsManage) || p.User.TenantID == id
}

func (h *Handler) getTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	if !tenantVisible(p, id) {
		return errNotFound
	}
	t, err := h.Accounts.Tenant(r.Context(), p, id)
	if err != nil {
		return err
	}
	a, err := h.tenantWithPools(r, p, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) updateTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PathValue("id")
	if !tenantVisible(p, id) {
		return errNotFound
	}
	var in account.TenantInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := h.Accounts.UpdateTenant(r.Context(), p.Actor(), id, in, p.Can(roles.TenantsManage))
	if err != nil {
		return err
	}
	a, err := h.tenantWithPools(r, p, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (h *Handler) listLicenses(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	pools, err := h.Accounts.Pools(r.Context(), p, p.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": pageOf(pools, "", poolJSON).Items})
	return nil
}

func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"items": roles.Catalogue(), "permissions": roles.Permissions()})
	return nil
}

func permissionsOf(p *principal.Principal) []roles.Permission {
	r, _ := roles.Get(p.User.Role)
	return r.Permissions
}
