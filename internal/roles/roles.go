// Package roles is the built-in, read-only catalogue of roles and the named
// permissions each grants. Roles cannot be edited: the product guide presents
// them for review only.
package roles

import "slices"

// Permission is one named capability checked by routes and services.
type Permission string

// The permissions callrec checks.
const (
	PortalAccess       Permission = "portal.access"
	APIAccess          Permission = "api.access"
	TenantsManage      Permission = "tenants.manage"
	UsersManage        Permission = "users.manage"
	SettingsManage     Permission = "settings.manage"
	IntegrationsManage Permission = "integrations.manage"
	RecordingsViewAll  Permission = "recordings.view_all"
	RecordingsViewMgd  Permission = "recordings.view_managed"
	RecordingsViewOwn  Permission = "recordings.view_own"
	RecordingsPlay     Permission = "recordings.play"
	RecordingsDownload Permission = "recordings.download"
	RecordingsDelete   Permission = "recordings.delete"
	RecordingsAnnotate Permission = "recordings.annotate"
	RecordingsConfid   Permission = "recordings.confidential"
	LiveMonitor        Permission = "live.monitor"
	PauseResume        Permission = "recordings.pause_resume"
	EvaluationsManage  Permission = "evaluations.manage"
	EvaluationsEval    Permission = "evaluations.evaluate"
	EvaluationsViewOwn Permission = "evaluations.view_own"
	Reports            Permission = "reports"
	AuditView          Permission = "audit.view"
	MetricsView        Permission = "metrics.view"
)

// PermissionInfo describes a permission for the Roles page.
type PermissionInfo struct {
	ID          Permission `json:"id"`
	Description string     `json:"description"`
}

// Permissions lists every permission in the order the Roles page shows them.
func Permissions() []PermissionInfo {
	return []PermissionInfo{
		{PortalAccess, "Sign in to the web portal"},
		{APIAccess, "Use the REST API with a bearer token"},
		{TenantsManage, "Create and edit tenants, license pools and storage packages (service provider)"},
		{UsersManage, "Manage users, groups, licenses and API tokens"},
		{SettingsManage, "Change the tenant's settings"},
		{IntegrationsManage, "Connect and disconnect Microsoft Teams and SIPREC sources"},
		{RecordingsViewAll, "See every recording of the tenant"},
		{RecordingsViewMgd, "See the recordings of members of managed groups"},
		{RecordingsViewOwn, "See one's own recordings"},
		{RecordingsPlay, "Play back recordings"},
		{RecordingsDownload, "Download recordings"},
		{RecordingsDelete, "Delete recordings"},
		{RecordingsAnnotate, "Add notes to recordings"},
		{RecordingsConfid, "See and mark confidential calls"},
		{LiveMonitor, "Listen to active calls"},
		{PauseResume, "Pause and resume recording during a live call"},
		{EvaluationsManage, "Build and edit the QA evaluation forms"},
		{EvaluationsEval, "Evaluate the calls of managed groups' members with QA forms, and answer their disputes"},
		{EvaluationsViewOwn, "See one's own evaluations, acknowledge or dispute them"},
		{Reports, "Run reports and see the dashboard"},
		{AuditView, "Read the audit log"},
		{MetricsView, "Read the installation's /metrics (service provider)"},
	}
}

// Role is a built-in role.
type Role struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Provider    bool         `json:"provider"`
	Permissions []Permission `json:"permissions"`
}

// Role ids, as in the outside contract.
const (
	ProviderAdmin = "provider_admin"
	Admin         = "admin"
	Supervisor    = "supervisor"
	UserSelfView  = "user_self_view"
	User          = "user"
	APIUser       = "api_user"
)

// Catalogue is the fixed list of roles, most powerful first.
func Catalogue() []Role {
	tenantAdmin := []Permission{PortalAccess, APIAccess, UsersManage, SettingsManage, IntegrationsManage,
		RecordingsViewAll, RecordingsViewMgd, RecordingsViewOwn, RecordingsPlay, RecordingsDownload,
		RecordingsDelete, RecordingsAnnotate, RecordingsConfid, LiveMonitor, PauseResume,
		EvaluationsManage, EvaluationsEval, EvaluationsViewOwn, Reports, AuditView}
	return []Role{
		{ProviderAdmin, "Provider Admin", "The service provider's administrator: creates tenants, license pools and storage packages, and can act in any tenant.", true,
			append([]Permission{TenantsManage, MetricsView}, tenantAdmin...)},
		{Admin, "Teams Admin | Admin", "Tenant-level organization admin: customization, user management, QA, storage and jobs. The first licensed Teams Admin also manages the Teams integration. Pause/Resume is available during live calls.", false,
			tenantAdmin},
		{Supervisor, "Teams Supervisor | Supervisor", "Portal access with supervisory tools for their own calls and the members of their managed groups. Pause/Resume is available during live calls.", false,
			[]Permission{PortalAccess, RecordingsViewMgd, RecordingsViewOwn, RecordingsPlay, RecordingsDownload, RecordingsAnnotate, LiveMonitor, PauseResume,
				EvaluationsEval, EvaluationsViewOwn, Reports}},
		{UserSelfView, "User Self View", "Portal access to view and add notes to the user's own recordings, and Pause/Resume during their active calls.", false,
			[]Permission{PortalAccess, RecordingsViewOwn, RecordingsPlay, RecordingsAnnotate, PauseResume, EvaluationsViewOwn}},
		{User, "User", "Default role: calls are recorded, but there is no access to the portal.", false, []Permission{}},
		{APIUser, "API User", "Non-standard: for an organization's own API developer integrating through the REST API. No portal access.", false,
			[]Permission{APIAccess, RecordingsViewAll, RecordingsViewOwn, RecordingsPlay, RecordingsDownload}},
	}
}

// Get returns the role with the given id.
func Get(id string) (Role, bool) {
	for _, r := range Catalogue() {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// Has reports whether the role grants the permission. Unknown roles grant nothing.
func Has(roleID string, p Permission) bool {
	r, ok := Get(roleID)
	return ok && slices.Contains(r.Permissions, p)
}

// Valid reports whether id names a tenant-assignable role (not provider_admin).
func Valid(id string) bool {
	r, ok := Get(id)
	return ok && !r.Provider
}

// Rule is a named choice among permissions, for a route that more than one
// permission opens (the route tables of the portal and the API declare it).
type Rule struct {
	Name  string
	AnyOf []Permission
}

// Allows reports whether a caller holding permissions as has says holds
// one of the rule's.
func (r Rule) Allows(has func(Permission) bool) bool { return slices.ContainsFunc(r.AnyOf, has) }

// Rules every door shares.
var (
	// ViewCalls opens the call lists and pages to whoever sees some calls:
	// all of the tenant's, their managed groups' members', or their own.
	// Which calls each sees is the recordings service's scope.
	ViewCalls = Rule{Name: "recordings.view_any", AnyOf: []Permission{RecordingsViewAll, RecordingsViewMgd, RecordingsViewOwn}}
	// HearCalls opens a call's audio to whoever may play or download it;
	// the recordings service tells a playback from a download.
	HearCalls = Rule{Name: "recordings.hear_any", AnyOf: []Permission{RecordingsPlay, RecordingsDownload}}
	// FollowEvents opens the live event stream to whoever sees calls or
	// manages integrations; each event goes only where its kind allows.
	FollowEvents = Rule{Name: "events.any", AnyOf: []Permission{RecordingsViewAll, RecordingsViewMgd, RecordingsViewOwn, IntegrationsManage}}
)

// Rules of the evaluations.
var (
	// ReadForms opens the QA forms to those who build them and those who
	// evaluate with them.
	ReadForms = Rule{Name: "evaluations.forms", AnyOf: []Permission{EvaluationsManage, EvaluationsEval}}
	// SeeEvaluations opens evaluations to evaluators (those of their
	// scope) and agents (their own); the evaluations service tells which.
	SeeEvaluations = Rule{Name: "evaluations.any", AnyOf: []Permission{EvaluationsEval, EvaluationsViewOwn}}
)
