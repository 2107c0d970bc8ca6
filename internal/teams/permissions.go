package teams

// GraphAppID is Microsoft Graph's application id, the resource of the
// Graph permissions.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Permission is one permission callrec's app registration requests.
type Permission struct {
	Resource    string // the resource's application id
	Name        string // the resource's display name
	Value       string // scope or app role value
	Application bool   // an app role (application permission), else delegated
	Why         string // the code that needs it
}

// RequiredPermissions is every permission callrec needs, derived from the
// calls it makes: the admin consent check, the disconnect and the app
// manifest (callrec teams manifest) all read this one list.
var RequiredPermissions = []Permission{
	{GraphAppID, "Microsoft Graph", "openid", false, "sign-in: the id token that names the admin and tenant"},
	{GraphAppID, "Microsoft Graph", "profile", false, "sign-in: the admin's name and UPN in the id token"},
	{GraphAppID, "Microsoft Graph", "offline_access", false, "refresh tokens for the provisioning job and the phone number sync"},
	{GraphAppID, "Microsoft Graph", "User.Read.All", false, "GET /users/{id}: the resource account during verify and disconnect"},
	{GraphAppID, "Microsoft Graph", "Group.ReadWrite.All", false, "POST/GET/DELETE /groups: the recording group"},
	{GraphAppID, "Microsoft Graph", "Application.Read.All", false, "GET /servicePrincipals and their appRoleAssignments: the admin consent check"},
	{GraphAppID, "Microsoft Graph", "DelegatedPermissionGrant.ReadWrite.All", false, "GET/DELETE /oauth2PermissionGrants: consent check and revocation"},
	{GraphAppID, "Microsoft Graph", "AppRoleAssignment.ReadWrite.All", false, "DELETE /servicePrincipals/{id}/appRoleAssignments/{id}: revoking the application permissions on disconnect"},
	{GraphAppID, "Microsoft Graph", "User.ReadWrite.All", false, "DELETE /users/{id}: removing the resource account on disconnect (no cmdlet removes an application instance)"},
	{GraphAppID, "Microsoft Graph", "TeamsUserConfiguration.Read.All", false, "GET /admin/teams/userConfigurations: the recorded users' Teams phone numbers"},
	{TeamsAdminAppID, "Skype and Teams Tenant Admin API", "user_impersonation", false, "the Teams admin API: application instance, policy, assignments"},
	{GraphAppID, "Microsoft Graph", "Calls.AccessMedia.All", true, "answer with app-hosted media (the compliance recording bot)"},
	{GraphAppID, "Microsoft Graph", "Calls.JoinGroupCall.All", true, "answer policy-based recording invitations to group calls and meetings"},
	{GraphAppID, "Microsoft Graph", "Calls.JoinGroupCallAsGuest.All", true, "join meetings of other tenants' organizers the recorded user attends"},
}

// RequiredAppRoles are the application permissions (app roles) of a resource.
func RequiredAppRoles(resource string) []string {
	var out []string
	for _, p := range RequiredPermissions {
		if p.Application && p.Resource == resource {
			out = append(out, p.Value)
		}
	}
	return out
}

// ManifestAccess is one permission in the manifest, named by its value:
// Microsoft's permission ids are resolved from the resource's service
// principal (oauth2PermissionScopes for "Scope", appRoles for "Role").
type ManifestAccess struct {
	Value string `json:"value"`
	Type  string `json:"type"` // Scope (delegated) or Role (application)
	Why   string `json:"why"`
}

// ManifestResource is the permissions requested of one resource.
type ManifestResource struct {
	ResourceAppID       string           `json:"resourceAppId"`
	ResourceDisplayName string           `json:"resourceDisplayName"`
	ResourceAccess      []ManifestAccess `json:"resourceAccess"`
}

// AppManifest is callrec's multi-tenant app registration, in the shape of
// the Microsoft Entra application manifest (displayName, signInAudience,
// web.redirectUris, requiredResourceAccess).
type AppManifest struct {
	DisplayName            string             `json:"displayName"`
	SignInAudience         string             `json:"signInAudience"`
	Web                    map[string]any     `json:"web"`
	RequiredResourceAccess []ManifestResource `json:"requiredResourceAccess"`
	Note                   string             `json:"_note"`
}

// Manifest builds the app registration from RequiredPermissions.
func Manifest(name, redirectURI string) AppManifest {
	m := AppManifest{DisplayName: name, SignInAudience: "AzureADMultipleOrgs",
		Web: map[string]any{"redirectUris": []string{redirectURI}},
		Note: "Permission ids differ per permission, not per tenant: resolve each value with Graph GET /v1.0/servicePrincipals(appId='{resourceAppId}')?$select=oauth2PermissionScopes,appRoles " +
			"(Scope → oauth2PermissionScopes[].id, Role → appRoles[].id), or add them by name under API permissions in the Entra admin center. " +
			"The calling webhook and media are configured on the Azure Bot resource, not here: see docs/teams-production.md."}
	index := map[string]int{}
	for _, p := range RequiredPermissions {
		i, ok := index[p.Resource]
		if !ok {
			i = len(m.RequiredResourceAccess)
			index[p.Resource] = i
			m.RequiredResourceAccess = append(m.RequiredResourceAccess, ManifestResource{ResourceAppID: p.Resource, ResourceDisplayName: p.Name})
		}
		typ := "Scope"
		if p.Application {
			typ = "Role"
		}
		r := &m.RequiredResourceAccess[i]
		r.ResourceAccess = append(r.ResourceAccess, ManifestAccess{Value: p.Value, Type: typ, Why: p.Why})
	}
	return m
}
