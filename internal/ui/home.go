package ui

import (
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
	if v.ProviderAlerts, err = h.Accounts.ProviderAlerts(ctx, p); err != nil && !shownOnlyTo(err) {
		return err
	}
	// The tenant's alerts and license use are for whoever manages its users.
	if v.Alerts, err = h.Accounts.Alerts(ctx, p); err == nil {
		if v.Pools, err = h.Accounts.Pools(ctx, p, p.TenantID); err != nil {
			return err
		}
	} else if !shownOnlyTo(err) {
		return err
	}
	if p.TenantID == "" {
		if v.Tenants, err = h.tenantRows(r, p); err != nil && !shownOnlyTo(err) {
			return err
		}
	}
	h.render(w, r, http.StatusOK, "home", view{Title: "Home", Nav: "home", Data: v})
	return nil
}

// tenantRows are the provider's tenants with their license use.
func (h *Handler) tenantRows(r *http.Request, p *principal.Principal) ([]tenantRow, error) {
	usages, err := h.Accounts.TenantUsages(r.Context(), p)
	if err != nil {
		return nil, err
	}
	rows := make([]tenantRow, 0, len(usages))
	for _, u := range usages {
		row := tenantRow{Tenant: u.Tenant}
		for _, pool := range u.Pools {
			row.Assigned += pool.Used
			row.Purchased += pool.Total
			if pool.Type == "call_recording" {
				row.Recording = pool
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// switchTenant sets the tenant a provider admin acts in; an empty id goes
// back to the provider view.
func (h *Handler) switchTenant(w http.ResponseWriter, r *http.Request, p *principal.Principal) error {
	id := r.PostForm.Get("tenant_id")
	if err := h.Auth.SetActingTenant(r.Context(), *p.Session, p.User, id, p.IP); err != nil {
		return serviceErr(err)
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
	if err := h.Accounts.DismissAlert(r.Context(), p, r.PathValue("id")); err != nil {
		return serviceErr(err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
