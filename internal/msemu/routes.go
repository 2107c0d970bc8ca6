package msemu

import "net/http"

// routes lists every path the emulator serves, host by host.
func (e *Emulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	g, tm := e.graphHandler, e.teamsHandler

	// Identity platform (login.microsoftonline.com).
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", e.authorize)
	mux.HandleFunc("POST /{tenant}/login", e.signIn)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.token)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", e.signOut)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.openIDConfig)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", e.jwks)
	mux.HandleFunc("GET /{tenant}/adminconsent", e.adminConsentV1)
	mux.HandleFunc("GET /{tenant}/v2.0/adminconsent", e.adminConsentV2)

	// Microsoft Graph (graph.microsoft.com).
	mux.HandleFunc("GET /v1.0/organization", g(e.organization))
	mux.HandleFunc("GET /v1.0/users", g(e.listUsers))
	mux.HandleFunc("GET /v1.0/users/{id}", g(e.getUser))
	mux.HandleFunc("GET /v1.0/admin/teams/userConfigurations", g(e.listTeamsUserConfigurations))
	mux.HandleFunc("DELETE /v1.0/users/{id}", g(e.deleteUser))
	mux.HandleFunc("GET /v1.0/groups", g(e.listGroups))
	mux.HandleFunc("POST /v1.0/groups", g(e.createGroup))
	mux.HandleFunc("GET /v1.0/groups/{id}", g(e.getGroup))
	mux.HandleFunc("DELETE /v1.0/groups/{id}", g(e.deleteGroup))
	mux.HandleFunc("GET /v1.0/groups/{id}/members", g(e.listMembers))
	mux.HandleFunc("POST /v1.0/groups/{id}/members/$ref", g(e.addMember))
	mux.HandleFunc("DELETE /v1.0/groups/{id}/members/{member}/$ref", g(e.removeMember))
	mux.HandleFunc("GET /v1.0/servicePrincipals", g(e.listServicePrincipals))
	mux.HandleFunc("GET /v1.0/servicePrincipals/{id}", g(e.getServicePrincipal))
	mux.HandleFunc("GET /v1.0/servicePrincipals/{id}/appRoleAssignments", g(e.listAppRoleAssignments))
	mux.HandleFunc("DELETE /v1.0/servicePrincipals/{id}/appRoleAssignments/{assignment}", g(e.deleteAppRoleAssignment))
	mux.HandleFunc("GET /v1.0/oauth2PermissionGrants", g(e.listGrants))
	mux.HandleFunc("GET /v1.0/oauth2PermissionGrants/{id}", g(e.getGrant))
	mux.HandleFunc("DELETE /v1.0/oauth2PermissionGrants/{id}", g(e.deleteGrant))
	const calls = "/v1.0/communications/calls/{id}"
	mux.HandleFunc("GET "+calls, g(e.getCall))
	mux.HandleFunc("DELETE "+calls, g(e.deleteCall))
	mux.HandleFunc("POST "+calls+"/answer", g(e.answerCall))
	mux.HandleFunc("POST "+calls+"/reject", g(e.rejectCall))
	mux.HandleFunc("POST "+calls+"/updateRecordingStatus", g(e.updateRecordingStatus))
	mux.HandleFunc("POST "+calls+"/keepAlive", g(e.keepAliveCall))
	mux.HandleFunc(callsFallbackPattern, g(e.callsFallback(mux)))

	// Bot Framework token keys (api.aps.skype.com) under /botframework.
	mux.HandleFunc("GET "+botOpenIDPath, e.botOpenIDConfig)
	mux.HandleFunc("GET "+botKeysPath, e.botJWKS)

	// Teams admin API (api.interfaces.records.teams.microsoft.com) under /teams.
	const ps, sp = TeamsAdminPrefix + "/Teams.PlatformService/v2", TeamsAdminPrefix + "/Skype.Policy"
	const pol, app = sp + "/configurations/TeamsComplianceRecordingPolicy", sp + "/configurations/TeamsComplianceRecordingApplication"
	// Paths and sources: docs/microsoft-contract.md (Teams admin API).
	mux.HandleFunc("GET "+TeamsAdminPrefix+"/Teams.Tenant/serviceDiscovery", tm(e.serviceDiscovery))
	mux.HandleFunc("GET "+ps+"/ApplicationInstances", tm(e.listInstances))
	mux.HandleFunc("POST "+ps+"/ApplicationInstances", tm(e.createInstance))
	mux.HandleFunc("GET "+pol, tm(e.listPolicies))
	mux.HandleFunc("POST "+pol, tm(e.createPolicy))
	mux.HandleFunc("GET "+pol+"/configuration/{identity}", tm(e.getPolicy))
	mux.HandleFunc("PUT "+pol+"/configuration/{identity}", tm(e.updatePolicy))
	mux.HandleFunc("DELETE "+pol+"/configuration/{identity}", tm(e.deletePolicy))
	mux.HandleFunc("POST "+app, tm(e.createRecordingApp))
	mux.HandleFunc("DELETE "+app+"/configuration/{identity...}", tm(e.deleteRecordingApp))
	const gpa = sp + "/groupPolicyAssignments"
	mux.HandleFunc("GET "+gpa, tm(e.listAssignments))
	mux.HandleFunc("PATCH "+gpa+"/{group}/policyTypes/{type}", tm(e.putAssignment))
	mux.HandleFunc("DELETE "+gpa+"/{group}/policyTypes/{type}", tm(e.deleteAssignment))
	mux.HandleFunc("PATCH "+sp+"/users/{user}/policies/{type}", tm(e.grantUser))
	mux.HandleFunc("PUT "+sp+"/users/{user}", tm(e.grantUser)) // emulator-only: the calling tests' shortcut
	mux.HandleFunc("GET "+sp+"/users/{user}/effectivePolicy", tm(e.effectivePolicy))
	mux.HandleFunc("PATCH "+sp+"/tenants/policies/{type}", tm(e.grantGlobal))
	mux.HandleFunc("GET "+sp+"/tenants/policies/{type}", tm(e.getGlobal))

	// Microsoft 365 admin center and My Apps (pages for a person).
	mux.HandleFunc("GET /admin", e.adminHome)
	mux.HandleFunc("POST /admin/signin", e.adminSignIn)
	mux.HandleFunc("GET /admin/users", e.adminUsers)
	mux.HandleFunc("POST /admin/users/{id}/delete", e.adminDeleteUser)
	mux.HandleFunc("GET /admin/groups", e.adminGroups)
	mux.HandleFunc("GET /admin/groups/{id}", e.adminGroup)
	mux.HandleFunc("POST /admin/groups/{id}/members", e.adminAddMembers)
	mux.HandleFunc("POST /admin/groups/{id}/members/{member}/remove", e.adminRemoveMember)
	mux.HandleFunc("GET /admin/calls", e.adminCalls)
	mux.HandleFunc("POST /admin/calls", e.adminPlaceCall)
	mux.HandleFunc("GET /myapps", e.myApps)
	mux.HandleFunc("GET /myapps/apps/{app}", e.myApp)
	mux.HandleFunc("POST /myapps/apps/{app}/revoke", e.myAppRevoke)
	mux.HandleFunc("GET /emu/static/site.css", e.css)

	// The emulator's own control API.
	mux.HandleFunc("GET /emu/config", e.emuConfig)
	mux.HandleFunc("GET /emu/events", e.emuEvents)
	mux.HandleFunc("GET /emu/faults", e.emuListFaults)
	mux.HandleFunc("POST /emu/faults", e.emuAddFault)
	mux.HandleFunc("DELETE /emu/faults", e.emuClearFaults)
	mux.HandleFunc("PUT /emu/replication", e.emuReplication)
	mux.HandleFunc("POST /emu/signing-keys/roll", e.emuRollKeys)
	mux.HandleFunc("GET /emu/calls", e.emuListCalls)
	mux.HandleFunc("POST /emu/calls", e.emuPlaceCall)
	mux.HandleFunc("GET /emu/calls/{id}", e.emuGetCall)
	mux.HandleFunc("POST /emu/calls/{id}/hangup", e.emuHangup)
	mux.HandleFunc("POST /emu/calls/{id}/participants", e.emuJoin)
	mux.HandleFunc("DELETE /emu/calls/{id}/participants/{user}", e.emuLeave)
	mux.HandleFunc("PUT /emu/tenants/{tenant}/servicePrincipals/{app}/teamsAdministrator", e.emuTeamsAdminRole)
	mux.HandleFunc("DELETE /emu/tenants/{tenant}/servicePrincipals/{app}/teamsAdministrator", e.emuTeamsAdminRole)
	return mux
}
