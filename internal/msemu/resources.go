package msemu

import (
	"slices"
	"strings"
)

// Well-known resource application ids. Tokens carry these audiences in the
// emulator exactly as in Microsoft's cloud, so only base URLs differ.
const (
	GraphAppID      = "00000003-0000-0000-c000-000000000000"
	GraphResource   = "https://graph.microsoft.com"
	TeamsAdminAppID = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
)

// permission describes one delegated scope or application role of a resource.
type permission struct {
	Name       string
	Consent    string // what the consent page says
	AdminOnly  bool   // needs an administrator to consent
	AppRole    bool   // application permission rather than delegated scope
	Permission string // "My Apps" wording
}

type resource struct {
	AppID       string
	Identifiers []string // values accepted before "/scope" in a scope string
	Audience    string
	DisplayName string
	Permissions []permission
}

// isOIDCScope reports scopes answered by the identity platform itself.
func isOIDCScope(s string) bool {
	return s == "openid" || s == "profile" || s == "email" || s == "offline_access"
}

func catalogue() []resource {
	return []resource{
		{
			AppID:       GraphAppID,
			Identifiers: []string{GraphResource, GraphAppID},
			Audience:    GraphResource,
			DisplayName: "Microsoft Graph",
			Permissions: []permission{
				{Name: "User.Read", Consent: "Sign in and read user profile"},
				{Name: "User.Read.All", Consent: "Read all users' full profiles", AdminOnly: true},
				{Name: "User.ReadWrite.All", Consent: "Read and write all users' full profiles", AdminOnly: true},
				{Name: "Group.Read.All", Consent: "Read all groups", AdminOnly: true},
				{Name: "Group.ReadWrite.All", Consent: "Read and write all groups", AdminOnly: true},
				{Name: "GroupMember.ReadWrite.All", Consent: "Read and write group memberships", AdminOnly: true},
				{Name: "Directory.Read.All", Consent: "Read directory data", AdminOnly: true},
				{Name: "Directory.ReadWrite.All", Consent: "Read and write directory data", AdminOnly: true},
				{Name: "Application.Read.All", Consent: "Read applications", AdminOnly: true},
				{Name: "DelegatedPermissionGrant.ReadWrite.All", Consent: "Manage all delegated permission grants", AdminOnly: true},
				{Name: "AppCatalog.ReadWrite.All", Consent: "Read and write to all app catalogs", AdminOnly: true},
				{Name: "Organization.Read.All", Consent: "Read organization information", AdminOnly: true},
				{Name: "Calls.AccessMedia.All", Consent: "Access media streams in a call as an app", AppRole: true},
				{Name: "Calls.Initiate.All", Consent: "Initiate outgoing 1 to 1 calls from the app", AppRole: true},
				{Name: "Calls.InitiateGroupCall.All", Consent: "Initiate outgoing group calls from the app", AppRole: true},
				{Name: "Calls.JoinGroupCall.All", Consent: "Join group calls and meetings as an app", AppRole: true},
				{Name: "Calls.JoinGroupCallAsGuest.All", Consent: "Join group calls and meetings as a guest", AppRole: true},
				{Name: "Group.Read.All", Consent: "Read all groups", AppRole: true},
				{Name: "User.Read.All", Consent: "Read all users' full profiles", AppRole: true},
				{Name: "Group.ReadWrite.All", Consent: "Read and write all groups", AppRole: true},
			},
		},
		{
			AppID:       TeamsAdminAppID,
			Identifiers: []string{TeamsAdminAppID, "api://" + TeamsAdminAppID},
			Audience:    TeamsAdminAppID,
			DisplayName: "Skype and Teams Tenant Admin API",
			Permissions: []permission{
				{Name: "user_impersonation", Consent: "Access Microsoft Teams and Skype for Business data as the signed in user", AdminOnly: true},
			},
		},
	}
}

func findResource(appID string) *resource {
	for _, r := range catalogue() {
		if r.AppID == appID {
			return &r
		}
	}
	return nil
}

func (r *resource) permission(name string, appRole bool) *permission {
	for i, p := range r.Permissions {
		if strings.EqualFold(p.Name, name) && p.AppRole == appRole {
			return &r.Permissions[i]
		}
	}
	return nil
}

// scopeRef is one requested scope after parsing: a resource and a value
// (".default" or a permission name).
type scopeRef struct {
	Resource string // resource app id
	Value    string
}

// parseScopes splits a scope parameter into OIDC scopes and resource scopes.
// Bare names belong to Microsoft Graph, as at Microsoft.
func parseScopes(s string) (oidc []string, refs []scopeRef, bad string) {
	for _, f := range strings.Fields(s) {
		if isOIDCScope(f) {
			oidc = append(oidc, f)
			continue
		}
		ref, ok := parseScope(f)
		if !ok {
			return nil, nil, f
		}
		refs = append(refs, ref)
	}
	return oidc, refs, ""
}

func parseScope(f string) (scopeRef, bool) {
	i := strings.LastIndex(f, "/")
	if i < 0 {
		r := findResource(GraphAppID)
		if r.permission(f, false) == nil {
			return scopeRef{}, false
		}
		return scopeRef{Resource: GraphAppID, Value: r.permission(f, false).Name}, true
	}
	prefix, value := f[:i], f[i+1:]
	for _, r := range catalogue() {
		for _, id := range r.Identifiers {
			if !strings.EqualFold(id, prefix) {
				continue
			}
			if value == ".default" {
				return scopeRef{Resource: r.AppID, Value: value}, true
			}
			if p := r.permission(value, false); p != nil {
				return scopeRef{Resource: r.AppID, Value: p.Name}, true
			}
			return scopeRef{}, false
		}
	}
	return scopeRef{}, false
}

func (s scopeRef) String() string {
	if s.Resource == GraphAppID {
		if s.Value == ".default" {
			return GraphResource + "/.default"
		}
		return s.Value
	}
	return s.Resource + "/" + s.Value
}

// resourcesOf lists the distinct resources named by refs, in order.
func resourcesOf(refs []scopeRef) []string {
	var out []string
	for _, r := range refs {
		if !slices.Contains(out, r.Resource) {
			out = append(out, r.Resource)
		}
	}
	return out
}
