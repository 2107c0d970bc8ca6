package ui

import (
	"net/http"

	"callrec/internal/brand"

	"callrec/internal/roles"
)

// registerAdmin lists the Administration pages with their rules: users,
// bulk edit, import and export, groups, roles, tenant settings, SIPREC
// sources, integrations, the provider's tenants and sources, and the
// audit log.
// brandFormBytes bounds the Branding form: the logo and the terms text.
const brandFormBytes = brand.MaxLogoBytes + maxFormBytes

func (h *Handler) registerAdmin(mux *http.ServeMux) {
	users := access{perm: roles.UsersManage, tenant: true}
	settings := access{perm: roles.SettingsManage, tenant: true}
	systems := access{perm: roles.IntegrationsManage, tenant: true}
	provider := access{perm: roles.TenantsManage}
	audit := access{perm: roles.AuditView}

	h.route(mux, "GET /admin", access{perm: roles.UsersManage}, h.adminHome)
	h.route(mux, "GET /admin/provider/branding", provider, h.brandingPage)
	h.route(mux, "POST /admin/provider/branding", access{perm: roles.TenantsManage, limit: brandFormBytes}, h.saveBranding)
	h.route(mux, "POST /admin/provider/branding/reset", provider, h.resetBranding)
	if h.Transcripts != nil {
		h.route(mux, "GET /admin/provider/speech", provider, h.speechPage)
		h.route(mux, "POST /admin/provider/speech", provider, h.saveSpeech)
	}
	if h.Analytics != nil {
		h.route(mux, "GET /admin/analytics", settings, h.analyticsPage)
		h.route(mux, "POST /admin/analytics/topics", settings, h.saveTopic)
		h.route(mux, "POST /admin/analytics/topics/{id}/delete", settings, h.deleteTopic)
		h.route(mux, "POST /admin/analytics/redaction", settings, h.saveRedaction)
		h.route(mux, "GET /admin/provider/summaries", provider, h.summariesPage)
		h.route(mux, "POST /admin/provider/summaries", provider, h.saveSummaries)
	}
	h.route(mux, "GET /admin/roles", access{perm: roles.UsersManage}, h.rolesPage)

	h.route(mux, "GET /admin/users", users, h.usersPage)
	h.route(mux, "GET /admin/users/bulk", users, h.bulkPage)
	h.route(mux, "POST /admin/users/bulk", users, h.bulkSubmit)
	h.route(mux, "GET /admin/users/new", users, h.newUserPage)
	h.route(mux, "POST /admin/users/new", users, h.createUser)
	h.route(mux, "GET /admin/users/{id}", users, h.editUserPage)
	h.route(mux, "POST /admin/users/{id}", users, h.updateUser)
	h.route(mux, "POST /admin/users/{id}/status", users, h.setUserStatus)
	h.route(mux, "POST /admin/users/{id}/password", users, h.setUserPassword)
	h.route(mux, "POST /admin/users/{id}/reset-two-factor", users, h.resetUserTwoFactor)
	h.route(mux, "GET /admin/users/{id}/delete", users, h.deleteUserPage)
	h.route(mux, "POST /admin/users/{id}/delete", users, h.deleteUser)
	h.route(mux, "GET /admin/users/export", users, h.exportUsers)
	h.route(mux, "GET /admin/users/import", users, h.importPage)
	h.route(mux, "POST /admin/users/import", access{perm: roles.UsersManage, tenant: true, limit: maxUploadBytes}, h.importSubmit)

	unknown := access{perm: roles.UsersManage, tenant: true}
	h.route(mux, "GET /admin/unknown-extensions", unknown, h.unknownExtensionsPage)
	h.route(mux, "POST /admin/unknown-extensions/assign", unknown, h.assignUnknown)

	h.route(mux, "GET /admin/groups", users, h.groupsPage)
	h.route(mux, "GET /admin/groups/new", users, h.newGroupPage)
	h.route(mux, "POST /admin/groups/new", users, h.createGroup)
	h.route(mux, "GET /admin/groups/{id}", users, h.groupMembersPage)
	h.route(mux, "GET /admin/groups/{id}/edit", users, h.editGroupPage)
	h.route(mux, "POST /admin/groups/{id}/edit", users, h.updateGroup)
	h.route(mux, "GET /admin/groups/{id}/delete", users, h.deleteGroupPage)
	h.route(mux, "POST /admin/groups/{id}/delete", users, h.deleteGroup)
	h.route(mux, "POST /admin/groups/{id}/members", users, h.addGroupMember)
	h.route(mux, "POST /admin/groups/{id}/members/{user_id}/remove", users, h.removeGroupMember)

	h.route(mux, "GET /admin/settings", settings, h.settingsPage)
	h.route(mux, "POST /admin/settings", settings, h.saveSettings)

	h.route(mux, "GET /admin/sip-sources", systems, h.sipSourcesPage)
	h.route(mux, "POST /admin/sip-sources", systems, h.createSIPSource)
	h.route(mux, "GET /admin/sip-sources/{id}", systems, h.editSIPSourcePage)
	h.route(mux, "POST /admin/sip-sources/{id}", systems, h.updateSIPSource)
	h.route(mux, "GET /admin/sip-sources/{id}/delete", systems, h.deleteSIPSourcePage)
	h.route(mux, "POST /admin/sip-sources/{id}/delete", systems, h.deleteSIPSource)

	h.route(mux, "GET /admin/integrations", systems, h.integrationsPage)
	h.route(mux, "POST /admin/integrations", systems, h.addIntegration)
	h.route(mux, "GET /admin/integrations/teams", systems, h.teamsPage)
	h.route(mux, "GET /admin/integrations/teams/progress", systems, h.teamsProgress)
	h.route(mux, "POST /admin/integrations/teams/signin", systems, h.teamsSignIn)
	h.route(mux, "POST /admin/integrations/teams/consent", systems, h.teamsConsent)
	h.route(mux, "POST /admin/integrations/teams/configure", systems, h.teamsConfigure)
	h.route(mux, "POST /admin/integrations/teams/retry", systems, h.teamsRetry)
	h.route(mux, "POST /admin/integrations/teams/verify", systems, h.teamsVerify)
	h.route(mux, "GET /admin/integrations/teams/disconnect", systems, h.teamsDisconnectPage)
	h.route(mux, "POST /admin/integrations/teams/disconnect", systems, h.teamsDisconnect)
	h.route(mux, "POST /admin/integrations/teams/delete", systems, h.teamsDelete)

	h.route(mux, "GET /admin/tenants", provider, h.tenantsPage)
	h.route(mux, "GET /admin/tenants/new", provider, h.newTenantPage)
	h.route(mux, "POST /admin/tenants/new", provider, h.createTenant)
	h.route(mux, "GET /admin/tenants/{id}", provider, h.editTenantPage)
	h.route(mux, "POST /admin/tenants/{id}", provider, h.updateTenant)
	h.route(mux, "GET /admin/tenants/{id}/scim-tokens", provider, h.scimTokensPage)
	h.route(mux, "POST /admin/tenants/{id}/scim-tokens", provider, h.createSCIMToken)
	h.route(mux, "POST /admin/tenants/{id}/scim-tokens/{token_id}/revoke", provider, h.revokeSCIMToken)
	h.route(mux, "GET /admin/provider/sip-sources", provider, h.providerSourcesPage)
	h.route(mux, "POST /provider/alerts/{id}/dismiss", provider, h.dismissProviderAlert)

	h.route(mux, "GET /admin/audit", audit, h.auditPage)
	h.route(mux, "GET /admin/audit/export", audit, h.auditExport)
}
