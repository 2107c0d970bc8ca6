package ui

import "net/http"

// registerAdmin lists the Administration pages: users, bulk edit, import
// and export, groups, tenant settings, the provider's tenants and the
// audit log. Each page checks its own permission.
func (h *Handler) registerAdmin(mux *http.ServeMux, stages []string) {
	page := func(fn pageFunc) http.HandlerFunc { return h.signedIn(stages, fn) }
	mux.HandleFunc("GET /admin", page(h.adminHome))

	mux.HandleFunc("GET /admin/users", page(h.usersPage))
	mux.HandleFunc("GET /admin/users/bulk", page(h.bulkPage))
	mux.HandleFunc("POST /admin/users/bulk", page(h.bulkSubmit))
	mux.HandleFunc("GET /admin/users/new", page(h.newUserPage))
	mux.HandleFunc("POST /admin/users/new", page(h.createUser))
	mux.HandleFunc("GET /admin/users/{id}", page(h.editUserPage))
	mux.HandleFunc("POST /admin/users/{id}", page(h.updateUser))
	mux.HandleFunc("POST /admin/users/{id}/status", page(h.setUserStatus))
	mux.HandleFunc("POST /admin/users/{id}/password", page(h.setUserPassword))
	mux.HandleFunc("POST /admin/users/{id}/reset-two-factor", page(h.resetUserTwoFactor))
	mux.HandleFunc("GET /admin/users/{id}/delete", page(h.deleteUserPage))
	mux.HandleFunc("POST /admin/users/{id}/delete", page(h.deleteUser))

	mux.HandleFunc("GET /admin/groups", page(h.groupsPage))
	mux.HandleFunc("GET /admin/groups/new", page(h.newGroupPage))
	mux.HandleFunc("POST /admin/groups/new", page(h.createGroup))
	mux.HandleFunc("GET /admin/groups/{id}", page(h.groupMembersPage))
	mux.HandleFunc("GET /admin/groups/{id}/edit", page(h.editGroupPage))
	mux.HandleFunc("POST /admin/groups/{id}/edit", page(h.updateGroup))
	mux.HandleFunc("GET /admin/groups/{id}/delete", page(h.deleteGroupPage))
	mux.HandleFunc("POST /admin/groups/{id}/delete", page(h.deleteGroup))
	mux.HandleFunc("POST /admin/groups/{id}/members", page(h.addGroupMember))
	mux.HandleFunc("POST /admin/groups/{id}/members/{user_id}/remove", page(h.removeGroupMember))

	mux.HandleFunc("GET /admin/users/export", page(h.exportUsers))
	mux.HandleFunc("GET /admin/users/import", page(h.importPage))
	mux.HandleFunc("POST /admin/users/import", h.signedInLimit(stages, maxUploadBytes, h.importSubmit))

	mux.HandleFunc("GET /admin/settings", page(h.settingsPage))
	mux.HandleFunc("POST /admin/settings", page(h.saveSettings))
	mux.HandleFunc("GET /admin/tenants", page(h.tenantsPage))
	mux.HandleFunc("GET /admin/tenants/new", page(h.newTenantPage))
	mux.HandleFunc("POST /admin/tenants/new", page(h.createTenant))
	mux.HandleFunc("GET /admin/tenants/{id}", page(h.editTenantPage))
	mux.HandleFunc("POST /admin/tenants/{id}", page(h.updateTenant))

	h.registerSIPSources(mux, stages)
	h.registerProvider(mux, stages)

	mux.HandleFunc("GET /admin/audit", page(h.auditPage))
	mux.HandleFunc("GET /admin/audit/export", page(h.auditExport))
}
