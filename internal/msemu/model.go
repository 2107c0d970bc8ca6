package msemu

import (
	"slices"
	"strings"
	"time"
)

// Role template ids of the Entra directory roles the emulator knows. They are
// Microsoft's real, fixed ids, so tokens carry the same wids as in production.
const (
	RoleGlobalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	RoleTeamsAdmin  = "69091246-20e8-4a56-aa4d-066075b2a7a8"
)

// world is everything the emulator holds; it is what a snapshot saves.
type world struct {
	Tenants map[string]*tenant          `json:"tenants"`
	Apps    map[string]*appRegistration `json:"apps"`
	Codes   map[string]*authCode        `json:"codes"`
	Refresh map[string]*refreshToken    `json:"refresh_tokens"`
	// Flows and browser sessions are short-lived; a snapshot keeps them so a
	// restart in the middle of a sign-in does not break the page.
	Flows    map[string]*authFlow `json:"flows"`
	Sessions map[string][]string  `json:"sessions"`
}

type tenant struct {
	ID                string                       `json:"id"`
	DisplayName       string                       `json:"display_name"`
	Domain            string                       `json:"domain"`
	Users             map[string]*user             `json:"users"`
	Groups            map[string]*group            `json:"groups"`
	ServicePrincipals map[string]*servicePrincipal `json:"service_principals"`
	Grants            map[string]*permissionGrant  `json:"grants"`
	Instances         map[string]*appInstance      `json:"instances"`
	Policies          map[string]*recordingPolicy  `json:"policies"`
	GroupAssignments  []*groupAssignment           `json:"group_assignments"`
	UserPolicies      map[string]string            `json:"user_policies"`
	GlobalPolicy      string                       `json:"global_policy"`
}

type user struct {
	ID             string   `json:"id"`
	DisplayName    string   `json:"display_name"`
	GivenName      string   `json:"given_name"`
	Surname        string   `json:"surname"`
	UPN            string   `json:"upn"`
	JobTitle       string   `json:"job_title"`
	BusinessPhones []string `json:"business_phones"`
	// TeamsNumbers are the Teams phone numbers assigned to the user
	// (Set-CsPhoneNumberAssignment), as Graph's teamsUserConfiguration
	// lists them.
	TeamsNumbers    []string  `json:"teams_numbers,omitempty"`
	Password        string    `json:"password"`
	Roles           []string  `json:"roles"`
	ResourceAccount bool      `json:"resource_account"`
	Created         time.Time `json:"created"`
}

func (u *user) isAdmin() bool {
	return slices.Contains(u.Roles, RoleGlobalAdmin) || slices.Contains(u.Roles, RoleTeamsAdmin)
}

type group struct {
	ID              string    `json:"id"`
	DisplayName     string    `json:"display_name"`
	Description     string    `json:"description"`
	MailNickname    string    `json:"mail_nickname"`
	MailEnabled     bool      `json:"mail_enabled"`
	SecurityEnabled bool      `json:"security_enabled"`
	GroupTypes      []string  `json:"group_types"`
	Members         []string  `json:"members"`
	Created         time.Time `json:"created"`
}

func (g *group) unified() bool { return slices.Contains(g.GroupTypes, "Unified") }

type servicePrincipal struct {
	ID          string   `json:"id"`
	AppID       string   `json:"app_id"`
	DisplayName string   `json:"display_name"`
	AppRoles    []string `json:"app_roles"` // "resourceAppId/Role.Name" held by this principal
	// TeamsAdmin records the Teams Administrator directory role, which lets
	// app-only tokens use the Teams admin API's policy operations.
	TeamsAdmin bool      `json:"teams_admin"`
	Created    time.Time `json:"created"`
}

func (sp *servicePrincipal) rolesFor(resourceAppID string) []string {
	var out []string
	for _, r := range sp.AppRoles {
		if res, name, ok := strings.Cut(r, "/"); ok && res == resourceAppID {
			out = append(out, name)
		}
	}
	return out
}

type permissionGrant struct {
	ID          string `json:"id"`
	ClientID    string `json:"client_id"`
	ConsentType string `json:"consent_type"`
	PrincipalID string `json:"principal_id"`
	ResourceID  string `json:"resource_id"`
	Scope       string `json:"scope"`
}

type appInstance struct {
	ObjectID      string    `json:"object_id"`
	ApplicationID string    `json:"application_id"`
	DisplayName   string    `json:"display_name"`
	UPN           string    `json:"upn"`
	PhoneNumber   string    `json:"phone_number"`
	Created       time.Time `json:"created"`
}

type recordingPolicy struct {
	Identity                 string          `json:"identity"`
	Enabled                  bool            `json:"enabled"`
	Description              string          `json:"description"`
	WarnUserOnRemoval        bool            `json:"warn_user_on_removal"`
	DisableAudioNotification bool            `json:"disable_audio_notification"`
	RecordReroutedCalls      bool            `json:"record_rerouted_calls"`
	CustomBanner             string          `json:"custom_banner"`
	Applications             []*recordingApp `json:"applications"`
	Created                  time.Time       `json:"created"`
}

type recordingApp struct {
	ID                              string   `json:"id"`
	RequiredBeforeMeetingJoin       bool     `json:"required_before_meeting_join"`
	RequiredBeforeCallEstablishment bool     `json:"required_before_call_establishment"`
	RequiredDuringMeeting           bool     `json:"required_during_meeting"`
	RequiredDuringCall              bool     `json:"required_during_call"`
	ConcurrentInvitationCount       int      `json:"concurrent_invitation_count"`
	PairedApplications              []string `json:"paired_applications"`
}

type groupAssignment struct {
	GroupID    string    `json:"group_id"`
	PolicyType string    `json:"policy_type"`
	PolicyName string    `json:"policy_name"`
	Rank       int       `json:"rank"`
	Created    time.Time `json:"created"`
}

type appRegistration struct {
	ClientID       string              `json:"client_id"`
	Secret         string              `json:"secret"`
	DisplayName    string              `json:"display_name"`
	Publisher      string              `json:"publisher"`
	RedirectURIs   []string            `json:"redirect_uris"`
	RedirectPrefix string              `json:"redirect_prefix"`
	Delegated      map[string][]string `json:"delegated"`   // resource app id → scopes
	Application    map[string][]string `json:"application"` // resource app id → roles
	CallingWebhook string              `json:"calling_webhook"`
}

func (a *appRegistration) allowsRedirect(uri string) bool {
	if slices.Contains(a.RedirectURIs, uri) {
		return true
	}
	return a.RedirectPrefix != "" && strings.HasPrefix(uri, a.RedirectPrefix)
}

// findTenant resolves a tenant by id or verified domain.
func (w *world) findTenant(ref string) *tenant {
	if t, ok := w.Tenants[ref]; ok {
		return t
	}
	for _, t := range w.Tenants {
		if strings.EqualFold(t.Domain, ref) {
			return t
		}
	}
	return nil
}

// findUserByUPN searches all tenants; sign-in pages do not know the tenant yet.
func (w *world) findUserByUPN(upn string) (*tenant, *user) {
	for _, t := range w.Tenants {
		for _, u := range t.Users {
			if strings.EqualFold(u.UPN, upn) {
				return t, u
			}
		}
	}
	return nil, nil
}

func (w *world) findUser(id string) (*tenant, *user) {
	for _, t := range w.Tenants {
		if u, ok := t.Users[id]; ok {
			return t, u
		}
	}
	return nil, nil
}

func (t *tenant) spByAppID(appID string) *servicePrincipal {
	for _, sp := range t.ServicePrincipals {
		if sp.AppID == appID {
			return sp
		}
	}
	return nil
}

// userRef resolves a user by object id or UPN, as Graph and Teams paths allow.
func (t *tenant) userRef(ref string) *user {
	if u, ok := t.Users[ref]; ok {
		return u
	}
	for _, u := range t.Users {
		if strings.EqualFold(u.UPN, ref) {
			return u
		}
	}
	return nil
}
