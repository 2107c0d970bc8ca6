package ui

import (
	"errors"
	"net/http"

	"callrec/internal/principal"
	"callrec/internal/roles"
	"callrec/internal/store"
)

// homeView is the overview: who the caller is and, by role, the tenant's
// license usage or the provider's tenants.
type homeView struct {
	Pools   []store.LicensePool
	Tenants []tenantRow
	Alerts  []store.Alert
	// ProviderAlerts are the provider's own (a SIPREC source claimed by
	// two customers), shown to provider admins in every view.
	ProviderAlerts []store.ProviderAlert
}

// tenantRow is one tenant on the provider's overview.
type tenantRow struct {
	Tenant    store.Tenant
	Recording store.LicensePool
	Assigned  int // licenses of every type in use
	Purchased int
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	ctx := r.Context()
	var v homeView
	var err error
	if v.ProviderAlerts, err = h.providerAlerts(r, p); err != nil {
		return err
	}
	if p.TenantID != "" && p.Can(roles.UsersManage) {
		pools, err := h.DB.Q().LicensePools(ctx, p.TenantID)
		if err != nil {
			return err
		}
		v.Pools = pools
		if v.Alerts, err = h.DB.Q().OpenAlerts(ctx, p.TenantID); err != nil {
			return err
		}
	}
	if p.IsProvider() && p.TenantID == "" {
		ts, err := h.DB.Q().ListTenants(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			pools, err := h.DB.Q().LicensePools(ctx, t.ID)
			if err != nil {
				return err
			}
			row := tenantRow{Tenant: t}
			for _, pool := range pools {
				row.Assigned += pool.Used
				row.Purchased += pool.Total
				if pool.Type == "call_recording" {
					row.Recording = pool
				}
			}
			v.Tenants = append(v.Tenants, row)
		}
	}
	h.render(w, r, http.StatusOK, "home", view{Title: "Home", Nav: "home", Data: v})
	return nil
}

// switchTenant sets the tenant a provider admin acts in; an empty id goes
// back to the provider view.
func (h *Handler) switchTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if !p.IsProvider() || !p.Can(roles.TenantsManage) {
		return errForbidden
	}
	id := r.PostForm.Get("tenant_id")
	if err := h.Auth.SetActingTenant(r.Context(), *p.Session, p.User, id, p.IP); errors.Is(err, store.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	flash := "tenant_switched"
	if id == "" {
		flash = "provider_view"
	}
	h.redirectFlash(w, r, "/", flash)
	return nil
}

// roleColumn is one role on the Roles page with its permission set.
type roleColumn struct {
	roles.Role
	grants map[roles.Permission]bool
}

// Grants reports whether the role has the permission.
func (c roleColumn) Grants(p roles.Permission) bool { return c.grants[p] }

// rolesView is the read-only role × permission matrix.
type rolesView struct {
	Roles       []roleColumn
	Permissions []roles.PermissionInfo
}

func (h *Handler) rolesPage(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if !p.Can(roles.UsersManage) {
		return errForbidden
	}
	var v rolesView
	for _, role := range roles.Catalogue() {
		if role.Provider && !p.IsProvider() {
			continue
		}
		c := roleColumn{Role: role, grants: map[roles.Permission]bool{}}
		for _, perm := range role.Permissions {
			c.grants[perm] = true
		}
		v.Roles = append(v.Roles, c)
	}
	v.Permissions = roles.Permissions()
	h.render(w, r, http.StatusOK, "roles", view{Title: "Roles", Nav: "admin", Sub: "roles", Data: v})
	return nil
}

// dismissAlert resolves an alert of the caller's tenant.
func (h *Handler) dismissAlert(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	if p.TenantID == "" || !p.Can(roles.UsersManage) {
		return errForbidden
	}
	if err := h.Accounts.ResolveAlert(r.Context(), p.Actor(), p.TenantID, r.PathValue("id")); errors.Is(err, store.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
